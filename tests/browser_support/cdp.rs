//! Debian's Chromium, headless, with a fresh profile, and a DevTools
//! protocol session on its page. Every wait has a deadline; the browser
//! and everything it started are killed on drop.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::ws::WebSocket;
use crate::spa_support::client::send;

/// Where Debian's `chromium` package installs the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless, no sandbox (root in CI), and none of the background traffic
/// this machine's closed network would refuse.
pub const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// How long the browser may take to come up on a busy machine.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one DevTools call, or one awaited condition, may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two polls of a condition.
const POLL: Duration = Duration::from_millis(50);

/// A running headless Chromium.
pub struct Chromium {
    child: Child,
    /// Holds the profile (`--user-data-dir`) and the browser's log.
    dir: tempfile::TempDir,
    /// Where its DevTools endpoint listens.
    pub devtools: SocketAddr,
}

impl Chromium {
    /// Start the browser with [`FLAGS`], a new empty profile and DevTools
    /// on a free loopback port. Fails — never skips — when Chromium is not
    /// installed.
    pub fn launch() -> Chromium {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install chromium (apt-get update && apt-get install -y \
             chromium); this test drives the SPA in a real browser"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let profile = dir.path().join("profile");
        fs::create_dir(&profile).expect("profile dir");
        let log = File::create(dir.path().join("chromium.log")).expect("log file");
        let child = Command::new(CHROMIUM)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args([
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .args(["--window-size=1100,900", "about:blank"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0) // so that drop can end its helpers too
            .spawn()
            .expect("start chromium");
        let mut chromium = Chromium {
            child,
            dir,
            devtools: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let port = chromium.devtools_port(&profile);
        chromium.devtools.set_port(port);
        chromium
    }

    /// The port Chromium chose, from the `DevToolsActivePort` file it
    /// writes into the profile once DevTools listens.
    fn devtools_port(&mut self, profile: &Path) -> u16 {
        let deadline = Instant::now() + LAUNCH_TIMEOUT;
        loop {
            let text = fs::read_to_string(profile.join("DevToolsActivePort")).unwrap_or_default();
            if let Some(port) = text.lines().next().and_then(|l| l.trim().parse().ok()) {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "chromium exited ({status}) before DevTools came up:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "DevTools not up within {LAUNCH_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }

    /// What the browser wrote to stderr, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("chromium.log")).unwrap_or_default()
    }

    /// A DevTools session on the browser's page (the tab it opened).
    pub fn page(&self) -> Cdp {
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let list = send(self.devtools, "GET", "/json/list", &[], None);
            let targets: Value = serde_json::from_str(&list.body).unwrap_or(Value::Null);
            let url = targets.as_array().and_then(|targets| {
                targets
                    .iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            });
            if let Some(url) = url {
                let ws = WebSocket::connect(url, deadline).expect("DevTools websocket");
                return Cdp { ws, next_id: 1 };
            }
            assert!(Instant::now() < deadline, "no page target: {}", list.body);
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // The browser and its renderer, GPU and zygote helpers share the
        // process group it was started in.
        let group = format!("-{}", self.child.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .is_ok_and(|s| s.success());
        if !killed {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A DevTools protocol session on one page.
pub struct Cdp {
    ws: WebSocket,
    next_id: u64,
}

impl Cdp {
    /// Call `method` and return its `result`; events arriving meanwhile
    /// are skipped. Panics on a protocol error or after [`CALL_TIMEOUT`].
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send_text(&message.to_string())
            .unwrap_or_else(|e| panic!("{method}: send failed: {e}"));
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let text = self
                .ws
                .recv_text(deadline)
                .unwrap_or_else(|e| panic!("{method}: no answer: {e}"));
            let answer: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if answer["id"] != id {
                continue;
            }
            if let Some(error) = answer.get("error") {
                panic!("{method} failed: {error}");
            }
            return answer["result"].clone();
        }
    }

    /// Evaluate `expression` in the page, awaiting a promise, and return
    /// its value. Panics when it throws.
    pub fn eval(&mut self, expression: &str) -> Value {
        let params = json!({
            "expression": expression,
            "awaitPromise": true,
            "returnByValue": true,
        });
        let result = self.call("Runtime.evaluate", params);
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression}\nthrew: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Poll `condition` until it is `true`, at most [`CALL_TIMEOUT`].
    pub fn wait_for(&mut self, condition: &str, what: &str) {
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            if self.eval(condition) == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                let page = self.eval("document.body ? document.body.innerText : ''");
                panic!("timed out waiting for {what}; the page shows:\n{page}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// The browser's cookie `name` for `url` (HttpOnly ones included), as
    /// DevTools reports it: `{name, value, httpOnly, …}`.
    pub fn cookie(&mut self, url: &str, name: &str) -> Option<Value> {
        let result = self.call("Network.getCookies", json!({ "urls": [url] }));
        result["cookies"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
    }
}
