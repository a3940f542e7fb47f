//! A minimal WebSocket client (RFC 6455) for the DevTools protocol: the
//! HTTP upgrade, masked text frames out, text messages in (fragments
//! joined, pings answered). No extensions, no binary messages.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Largest message accepted (a full-page screenshot is a few MiB).
const MAX_MESSAGE: u64 = 64 << 20;

/// RFC 6455's sample nonce and the accept value it must produce (§1.3): a
/// fixed key lets the handshake be checked without SHA-1. The nonce only
/// guards against caching intermediaries, of which loopback has none.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn protocol(message: impl Into<String>) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message.into())
}

fn remaining(deadline: Instant) -> io::Result<std::time::Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(ErrorKind::TimedOut, "deadline passed"));
    }
    Ok(left)
}

/// One frame as read off the wire, unmasked.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// A client frame: FIN set, masked with `mask` as RFC 6455 requires of
/// clients.
pub fn encode_frame(opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// Read one frame, masked or not.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Frame> {
    let mut head = [0u8; 2];
    reader.read_exact(&mut head)?;
    if head[0] & 0x70 != 0 {
        return Err(protocol("reserved bits set: no extension was negotiated"));
    }
    let len = match head[1] & 0x7F {
        126 => {
            let mut b = [0u8; 2];
            reader.read_exact(&mut b)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            reader.read_exact(&mut b)?;
            u64::from_be_bytes(b)
        }
        len => u64::from(len),
    };
    if len > MAX_MESSAGE {
        return Err(protocol(format!("frame of {len} bytes")));
    }
    let mask = if head[1] & 0x80 != 0 {
        let mut m = [0u8; 4];
        reader.read_exact(&mut m)?;
        Some(m)
    } else {
        None
    };
    let mut payload = vec![0u8; len as usize];
    reader.read_exact(&mut payload)?;
    if let Some(m) = mask {
        payload
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b ^= m[i % 4]);
    }
    Ok(Frame {
        fin: head[0] & 0x80 != 0,
        opcode: head[0] & 0x0F,
        payload,
    })
}

/// Read one text message: fragments joined, each ping handed to
/// `on_ping` (to answer it), pongs skipped; a close is an error.
pub fn read_message(
    reader: &mut impl Read,
    mut on_ping: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<String> {
    let mut message: Option<Vec<u8>> = None;
    loop {
        let frame = read_frame(reader)?;
        match (frame.opcode, message.as_mut()) {
            (OP_TEXT, None) => message = Some(frame.payload),
            (OP_CONTINUATION, Some(partial)) => {
                partial.extend_from_slice(&frame.payload);
                if partial.len() as u64 > MAX_MESSAGE {
                    return Err(protocol("message too large"));
                }
            }
            (OP_PING, _) => {
                on_ping(&frame.payload)?;
                continue;
            }
            (OP_PONG, _) => continue,
            (OP_CLOSE, _) => {
                return Err(io::Error::new(
                    ErrorKind::ConnectionAborted,
                    "closed by peer",
                ));
            }
            (opcode, _) => return Err(protocol(format!("unexpected opcode {opcode}"))),
        }
        if frame.fin {
            let bytes = message.take().unwrap_or_default();
            return String::from_utf8(bytes).map_err(|_| protocol("text is not UTF-8"));
        }
    }
}

/// A connected WebSocket.
pub struct WebSocket {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    mask_state: u32,
}

impl WebSocket {
    /// Connect to `ws://IP:PORT/path` and complete the upgrade.
    pub fn connect(url: &str, deadline: Instant) -> io::Result<WebSocket> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| protocol("only ws:// URLs"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let addr: SocketAddr = authority
            .parse()
            .map_err(|_| protocol(format!("not an ip:port: {authority}")))?;
        let stream = TcpStream::connect_timeout(&addr, remaining(deadline)?)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        let mut writer = stream.try_clone()?;
        write!(
            writer,
            "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )?;
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status)?;
        if !status.starts_with("HTTP/1.1 101") {
            return Err(protocol(format!("upgrade refused: {}", status.trim_end())));
        }
        let mut accepted = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Err(protocol("connection closed during the handshake"));
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                accepted |=
                    name.eq_ignore_ascii_case("sec-websocket-accept") && value.trim() == ACCEPT;
            }
        }
        if !accepted {
            return Err(protocol("missing or wrong Sec-WebSocket-Accept"));
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.subsec_nanos() | 1);
        Ok(WebSocket {
            reader,
            writer,
            mask_state: seed,
        })
    }

    /// A fresh masking key (xorshift: masks need not be secret here).
    fn next_mask(&mut self) -> [u8; 4] {
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mask_state = x;
        x.to_be_bytes()
    }

    /// Send one text message.
    pub fn send_text(&mut self, text: &str) -> io::Result<()> {
        let mask = self.next_mask();
        self.writer
            .write_all(&encode_frame(OP_TEXT, text.as_bytes(), mask))
    }

    /// The next text message, answering pings, failing at `deadline`.
    pub fn recv_text(&mut self, deadline: Instant) -> io::Result<String> {
        self.reader
            .get_ref()
            .set_read_timeout(Some(remaining(deadline)?))?;
        let mask = self.next_mask();
        let writer = &mut self.writer;
        read_message(&mut self.reader, |ping| {
            writer.write_all(&encode_frame(OP_PONG, ping, mask))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn rfc_6455_examples_decode() {
        // §5.7: unmasked and masked "Hello", and "Hello" in two fragments.
        let unmasked = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        for bytes in [&unmasked[..], &masked[..]] {
            let text = read_message(&mut Cursor::new(bytes), |_| Ok(())).expect("message");
            assert_eq!(text, "Hello");
        }
        assert_eq!(
            encode_frame(OP_TEXT, b"Hello", [0x37, 0xfa, 0x21, 0x3d]),
            masked
        );
        let mut split = vec![0x01, 0x03, 0x48, 0x65, 0x6c];
        split.extend_from_slice(&[0x89, 0x02, b'h', b'i']); // a ping in between
        split.extend_from_slice(&[0x80, 0x02, 0x6c, 0x6f]);
        let mut pings = Vec::new();
        let text = read_message(&mut Cursor::new(split), |p| {
            pings.push(p.to_vec());
            Ok(())
        })
        .expect("message");
        assert_eq!((text.as_str(), pings), ("Hello", vec![b"hi".to_vec()]));
    }

    #[test]
    fn every_length_encoding_round_trips() {
        for len in [0usize, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let frame = encode_frame(OP_TEXT, &payload, [1, 2, 3, 4]);
            let read = read_frame(&mut Cursor::new(frame)).expect("frame");
            assert_eq!(
                read,
                Frame {
                    fin: true,
                    opcode: OP_TEXT,
                    payload
                },
                "{len}"
            );
        }
    }

    #[test]
    fn close_reserved_bits_and_short_input_are_errors() {
        let close = read_message(&mut Cursor::new([0x88, 0x00]), |_| Ok(()));
        assert_eq!(
            close.map_err(|e| e.kind()),
            Err(ErrorKind::ConnectionAborted)
        );
        assert!(
            read_frame(&mut Cursor::new([0xC1, 0x00])).is_err(),
            "RSV1 without extension"
        );
        assert!(
            read_frame(&mut Cursor::new([0x81, 0x05, b'H'])).is_err(),
            "truncated"
        );
        let stray = read_message(&mut Cursor::new([0x80, 0x01, b'x']), |_| Ok(()));
        assert!(stray.is_err(), "a continuation with no message started");
    }
}
