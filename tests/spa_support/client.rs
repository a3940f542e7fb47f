//! A plain HTTP/1.1 client over `std::net::TcpStream` — one request per
//! connection, `Connection: close`, every read bounded by a deadline — and
//! an [`Agent`] that keeps cookies and sends the headers a same-origin SPA
//! sends (Referer, Origin on writes, `X-XSRF-TOKEN` echoed from the cookie).

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Server;

/// The longest any one exchange may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// An answer: status, headers (names lowercased, in order), body text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every value of header `name` (lowercase).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or("").to_owned()
    }

    /// The `Set-Cookie` header for cookie `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.all("set-cookie")
            .into_iter()
            .find(|c| c.starts_with(&prefix))
    }
}

/// Send one request to `addr` and read the whole answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let deadline = Instant::now() + TIMEOUT;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    stream.set_write_timeout(Some(TIMEOUT)).expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).expect("send request");
    let raw = read_to_end(&mut stream, deadline);
    parse_response(&raw).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: bad response ({e}): {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Read until the answer is complete or the peer closes, failing at
/// `deadline`. (Some servers, DevTools among them, keep the connection
/// open despite `Connection: close`.)
fn read_to_end(stream: &mut TcpStream, deadline: Instant) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    while !is_complete(&raw) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no complete answer within {TIMEOUT:?}");
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("no complete answer within {TIMEOUT:?}")
            }
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    raw
}

/// Whether `raw` holds a whole answer: its head, and a body of the length
/// announced or a chunked body up to its last chunk.
fn is_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let value = |name: &str| {
        head.split("\r\n")
            .find_map(|line| line.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    if value("transfer-encoding:").is_some_and(|v| v == "chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    match value("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        Some(len) => body.len() >= len,
        None => false, // delimited by the close
    }
}

/// Split an HTTP/1.1 answer into status, headers and body (chunked or
/// sized).
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of head")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("header without colon")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let rest = &raw[split + 4..];
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = find("content-length") {
        let len: usize = len.parse().map_err(|_| "bad content-length")?;
        rest.get(..len)
            .ok_or("body shorter than content-length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    let body = String::from_utf8(body).map_err(|e| e.to_string())?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line")?;
        let size_text = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "chunk size")?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).ok_or("short chunk")?);
        rest = rest.get(size + 2..).ok_or("chunk end")?;
    }
}

/// A browser-like client of the demo: a cookie jar, and the headers a
/// same-origin page sends.
pub struct Agent {
    addr: SocketAddr,
    origin: String,
    /// Cookies by name.
    pub jar: BTreeMap<String, String>,
    /// Send Referer (and Origin on writes) naming the server itself, as a
    /// page it served does. False: a client with no page, like curl.
    pub first_party: bool,
    user_agent: String,
}

impl Agent {
    /// A first-party agent calling itself `user_agent`.
    pub fn new(server: &Server, user_agent: &str) -> Agent {
        Agent {
            addr: server.addr,
            origin: server.origin(),
            jar: BTreeMap::new(),
            first_party: true,
            user_agent: user_agent.to_owned(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    /// The session id the agent holds.
    pub fn session_id(&self) -> Option<String> {
        self.cookie("authkv_session")
    }

    /// The CSRF token the agent's page could read.
    pub fn xsrf(&self) -> String {
        self.cookie("XSRF-TOKEN").unwrap_or_default()
    }

    /// Send a request with the jar's cookies and `extra` headers; keep the
    /// cookies the answer sets.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let cookie: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let cookie = cookie.join("; ");
        let referer = format!("{}/", self.origin);
        let mut headers: Vec<(&str, &str)> = vec![("User-Agent", &self.user_agent)];
        if !cookie.is_empty() {
            headers.push(("Cookie", &cookie));
        }
        if self.first_party {
            headers.push(("Referer", &referer));
            if method != "GET" {
                headers.push(("Origin", &self.origin));
            }
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        headers.extend_from_slice(extra);
        let response = send(self.addr, method, path, &headers, body);
        for set in response.all("set-cookie") {
            let pair = set.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || set.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        response
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, &[], None)
    }

    /// A write with `X-XSRF-TOKEN` echoed from the cookie, as the SPA does.
    pub fn write(&mut self, method: &str, path: &str, body: Option<&str>) -> Response {
        let xsrf = self.xsrf();
        self.request(method, path, &[("X-XSRF-TOKEN", &xsrf)], body)
    }

    /// `GET /sanctum/csrf-cookie`, which must answer 204.
    pub fn csrf_cookie(&mut self) {
        let r = self.get("/sanctum/csrf-cookie");
        assert_eq!(r.status, 204, "{r:?}");
    }

    /// Log the demo user in with `password`; the answer.
    pub fn login(&mut self, password: &str) -> Response {
        let body = serde_json::json!({ "login": "demo@example.com", "password": password });
        self.write("POST", "/login", Some(&body.to_string()))
    }

    /// A fresh session and a successful login of the demo user.
    pub fn logged_in(server: &Server, user_agent: &str) -> Agent {
        let mut agent = Agent::new(server, user_agent);
        agent.csrf_cookie();
        let r = agent.login(super::PASSWORD);
        assert_eq!(r.status, 200, "{r:?}");
        agent
    }
}

#[test]
fn parses_sized_and_chunked_answers() {
    let sized =
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nhiXX";
    let r = parse_response(sized).expect("parse");
    assert_eq!((r.status, r.body.as_str()), (200, "hi"));
    assert_eq!(r.all("set-cookie"), ["a=1", "b=2"]);
    let chunked =
        b"HTTP/1.1 419 \r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
    let r = parse_response(chunked).expect("parse");
    assert_eq!((r.status, r.body.as_str()), (419, "abcde"));
    assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
}
