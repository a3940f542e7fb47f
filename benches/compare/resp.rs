//! A minimal Redis client: RESP2 arrays of bulk strings out, replies parsed
//! back, over one `TcpStream` with Nagle off. One command is one round trip;
//! [`Resp::pipeline`] exists only for loading data before a measurement.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;

/// A reply from the server.
#[derive(Debug)]
pub enum Reply {
    /// `+OK` and friends.
    Status(String),
    /// `-ERR …`.
    Error(String),
    /// `:n`.
    Int(i64),
    /// `$n` (`None` for the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*n` (`None` for the null array).
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The elements of an array reply (empty for a null array).
    pub fn into_array(self) -> Vec<Reply> {
        match self {
            Reply::Array(items) => items.unwrap_or_default(),
            other => panic!("Redis answered {other:?} where an array was expected"),
        }
    }

    /// The bytes of a bulk reply (`None` for a null bulk string).
    pub fn into_bulk(self) -> Option<Vec<u8>> {
        match self {
            Reply::Bulk(bytes) => bytes,
            other => panic!("Redis answered {other:?} where a bulk string was expected"),
        }
    }
}

/// One connection.
pub struct Resp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    out: Vec<u8>,
}

impl Resp {
    /// Connect to the server on loopback `port`.
    ///
    /// # Errors
    /// When the connection is refused (the server is not up yet).
    pub fn connect(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            writer: stream,
            out: Vec::with_capacity(4096),
        })
    }

    fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Send one command and wait for its reply; an error reply panics.
    pub fn command(&mut self, args: &[&[u8]]) -> Reply {
        self.out.clear();
        Self::encode(&mut self.out, args);
        self.writer
            .write_all(&self.out)
            .expect("the Redis connection takes a command");
        let reply = read_reply(&mut self.reader).expect("Redis answers");
        if let Reply::Error(e) = &reply {
            panic!("Redis refused {:?}: {e}", String::from_utf8_lossy(args[0]));
        }
        reply
    }

    /// Send many commands at once and read all their replies (loading only).
    pub fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) {
        self.out.clear();
        for command in commands {
            let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
            Self::encode(&mut self.out, &args);
        }
        self.writer
            .write_all(&self.out)
            .expect("the Redis connection takes a pipeline");
        for _ in commands {
            if let Reply::Error(e) = read_reply(&mut self.reader).expect("Redis answers") {
                panic!("Redis refused a loading command: {e}");
            }
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// One line without its `\r\n`.
fn read_line(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(invalid("a RESP line without CRLF (connection closed?)"));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn parse_int(bytes: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("a RESP length or integer that is not a number"))
}

/// Read one reply, recursing into arrays.
pub fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(r)?;
    let (&kind, rest) = line
        .split_first()
        .ok_or_else(|| invalid("an empty RESP line"))?;
    match kind {
        b'+' => Ok(Reply::Status(String::from_utf8_lossy(rest).into_owned())),
        b'-' => Ok(Reply::Error(String::from_utf8_lossy(rest).into_owned())),
        b':' => Ok(Reply::Int(parse_int(rest)?)),
        b'$' => {
            let len = parse_int(rest)?;
            if len < 0 {
                return Ok(Reply::Bulk(None));
            }
            let mut data = vec![0u8; len as usize + 2];
            r.read_exact(&mut data)?;
            data.truncate(len as usize);
            Ok(Reply::Bulk(Some(data)))
        }
        b'*' => {
            let len = parse_int(rest)?;
            if len < 0 {
                return Ok(Reply::Array(None));
            }
            let items = (0..len)
                .map(|_| read_reply(r))
                .collect::<io::Result<Vec<_>>>()?;
            Ok(Reply::Array(Some(items)))
        }
        _ => Err(invalid("an unknown RESP type byte")),
    }
}
