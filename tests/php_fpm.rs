//! The PHP binding deployed as in production: nginx in front of php-fpm,
//! serving `bindings/php/tests/web/app.php` (PHP's native sessions in
//! authkv through `Authkv\SessionHandler`, the user decided by
//! `Authkv\Guard` from the session cookie).
//!
//! Both servers run from configurations written into a temporary
//! directory: php-fpm with one pool of 4 static workers on a unix socket
//! there (the library and the database handed in through `env[...]`, the
//! rest of the environment cleared), nginx on a free loopback port passing
//! every request to it. The FPM SAPI may not use FFI under PHP's default
//! `ffi.enable=preload`: one test sets `php_admin_value[ffi.enable] = 1`
//! in the pool, the other keeps `preload` and preloads the binding's
//! classes (`opcache.preload=bindings/php/src/autoload.php`).
//! 8 browsers, each with a cookie jar of its own, then make 200 requests
//! at once: log in, count in `$_SESSION`, log out (a POST with the CSRF
//! token), twice over. Their sessions move between the workers; the counts
//! must still go 1, 2, 3, ..., and after a login the guard must know the
//! user. Both servers are stopped at the end, also when the test fails.
//!
//! nginx and php-fpm are required: without them this test fails and says
//! to install `nginx-light php-fpm` (Debian 12). `NGINX` and `PHP_FPM`
//! name other binaries; the library is the one `tests/php_binding.rs` uses.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod native;
use native::*;

const WORKERS: usize = 4;
const CLIENTS: u64 = 8;
/// Counts after the first and after the second login of each client:
/// (1 + 10 + 1 + 1) + (1 + 8 + 2 + 1) = 25 requests, 200 in all.
const COUNTS: [usize; 2] = [10, 8];
const REQUESTS_PER_CLIENT: usize = 25;

/// The binary the environment variable `var` names, else the first of
/// `candidates` found on PATH or in the sbin directories.
fn binary(var: &str, candidates: &[&str], package: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .collect();
    for name in candidates {
        for dir in &dirs {
            let found = dir.join(name);
            if found.is_file() {
                return found;
            }
        }
    }
    panic!(
        "{} not found (looked for {candidates:?} on PATH and in the sbin directories): install it \
         (apt-get install -y {package}), or set {var} to the binary",
        candidates[0]
    );
}

fn php_fpm() -> PathBuf {
    let mut names = vec!["php-fpm".to_string()];
    // Debian installs only the versioned name, php-fpm8.2.
    for dir in ["/usr/sbin", "/usr/local/sbin"] {
        let mut versioned: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("php-fpm"))
            .collect();
        versioned.sort();
        names.extend(versioned.into_iter().rev());
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    binary("PHP_FPM", &names, "php-fpm")
}

/// Whether this process runs as root (then both servers run their workers
/// as root too: the temporary directory is not open to others).
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

/// The fields of `/proc/PID/stat` after the command name (state, ppid,
/// ...), or None when there is no such process.
fn stat(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split(' ').map(str::to_string).collect())
}

/// Whether `pid` runs (a zombie does not).
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|fields| fields[0] != "Z")
}

/// The children of `parent`, from `/proc`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|fields| fields[1] == parent.to_string()))
        .collect()
}

fn signal(signal: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg("-s")
        .arg(signal)
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// A server's master process; stopping it (or dropping it, also while a
/// failing test unwinds) ends the master and its workers.
struct Daemon {
    child: Child,
    log: PathBuf,
    stopped: bool,
}

impl Daemon {
    fn spawn(name: &'static str, mut command: Command, log: PathBuf) -> Daemon {
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Daemon {
            child,
            log,
            stopped: false,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn workers(&self) -> Vec<u32> {
        children(self.pid())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM to the master (both servers then end their workers), SIGKILL
    /// to whatever of them still runs 5 s later. Workers outlive a master
    /// killed alone, so their pids are taken first.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let workers = self.workers();
        signal("TERM", &[self.pid()]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && (self.running() || workers.iter().any(|&w| alive(w))) {
            thread::sleep(Duration::from_millis(20));
        }
        if self.running() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let left: Vec<u32> = workers.into_iter().filter(|&w| alive(w)).collect();
        signal("KILL", &left);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nothing listens on (the kernel's pick).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// How php-fpm lets the binding use FFI.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ffi {
    /// `php_admin_value[ffi.enable] = 1` in the pool.
    Enabled,
    /// `ffi.enable=preload`, and the classes in an `opcache.preload` script.
    Preloaded,
}

/// php-fpm with one pool of WORKERS static workers on a unix socket in `dir`.
fn start_php_fpm(dir: &Path, db: &Path, ffi: Ffi) -> (Daemon, PathBuf) {
    let socket = dir.join("php-fpm.sock");
    let root = is_root();
    let pool_user = if root {
        "user = root\ngroup = root\n"
    } else {
        ""
    };
    let config = format!(
        "[global]\n\
         pid = {dir}/php-fpm.pid\n\
         error_log = {dir}/php-fpm.log\n\
         log_level = notice\n\
         daemonize = no\n\
         \n\
         [app]\n\
         {pool_user}\
         listen = {socket}\n\
         listen.mode = 0600\n\
         pm = static\n\
         pm.max_children = {WORKERS}\n\
         clear_env = yes\n\
         env[AUTHKV_LIBRARY] = {library}\n\
         env[AUTHKV_WEB_DB] = {db}\n\
         catch_workers_output = yes\n\
         decorate_workers_output = no\n\
         php_admin_value[ffi.enable] = {ffi_enable}\n\
         php_admin_value[error_reporting] = -1\n\
         php_admin_flag[display_errors] = off\n\
         php_admin_flag[log_errors] = on\n\
         php_admin_value[error_log] = {dir}/php-errors.log\n",
        dir = dir.display(),
        socket = socket.display(),
        library = shared_library().display(),
        db = db.display(),
        ffi_enable = if ffi == Ffi::Enabled { "1" } else { "preload" },
    );
    let conf = dir.join("php-fpm.conf");
    std::fs::write(&conf, config).expect("write php-fpm.conf");
    let mut command = Command::new(php_fpm());
    command
        .arg("--nodaemonize")
        .arg("--force-stderr")
        .arg("--fpm-config")
        .arg(&conf)
        .env_remove("LD_LIBRARY_PATH");
    if root {
        command.arg("--allow-to-run-as-root");
    }
    if ffi == Ffi::Preloaded {
        // Preloading is for the whole server, so not a pool setting. As
        // root, PHP preloads only with a user named to do it as.
        let script = repo().join("bindings/php/src/autoload.php");
        command
            .arg("-d")
            .arg(format!("opcache.preload={}", script.display()))
            .args(["-d", "opcache.enable=1"]);
        if root {
            command.args(["-d", "opcache.preload_user=root"]);
        }
    }
    let mut fpm = Daemon::spawn("php-fpm", command, dir.join("php-fpm.out"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(socket.exists() && fpm.workers().len() == WORKERS) {
        assert!(
            fpm.running() && Instant::now() < deadline,
            "php-fpm did not start:\n{}{}",
            fpm.log(),
            std::fs::read_to_string(dir.join("php-fpm.log")).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(20));
    }
    (fpm, socket)
}

/// nginx on a free loopback port, every request to app.php through the
/// socket; retried on another port if the chosen one was taken meanwhile.
fn start_nginx(dir: &Path, socket: &Path, ffi: Ffi) -> (Daemon, u16) {
    let web = repo().join("bindings/php/tests/web");
    let user = if is_root() { "user root;\n" } else { "" };
    for attempt in 1.. {
        let port = free_port();
        let d = dir.display();
        let config = format!(
            "{user}\
             daemon off;\n\
             master_process on;\n\
             worker_processes 2;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/nginx-error.log notice;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
               access_log {d}/nginx-access.log;\n\
               client_body_temp_path {d}/client_body;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               proxy_temp_path {d}/proxy;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 root {web};\n\
                 location / {{\n\
                   fastcgi_pass unix:{socket};\n\
                   fastcgi_param SCRIPT_FILENAME $document_root/app.php;\n\
                   fastcgi_param SCRIPT_NAME /app.php;\n\
                   fastcgi_param QUERY_STRING $query_string;\n\
                   fastcgi_param REQUEST_METHOD $request_method;\n\
                   fastcgi_param CONTENT_TYPE $content_type;\n\
                   fastcgi_param CONTENT_LENGTH $content_length;\n\
                   fastcgi_param REQUEST_URI $request_uri;\n\
                   fastcgi_param DOCUMENT_URI $document_uri;\n\
                   fastcgi_param DOCUMENT_ROOT $document_root;\n\
                   fastcgi_param SERVER_PROTOCOL $server_protocol;\n\
                   fastcgi_param REQUEST_SCHEME $scheme;\n\
                   fastcgi_param GATEWAY_INTERFACE CGI/1.1;\n\
                   fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;\n\
                   fastcgi_param REMOTE_ADDR $remote_addr;\n\
                   fastcgi_param REMOTE_PORT $remote_port;\n\
                   fastcgi_param SERVER_ADDR $server_addr;\n\
                   fastcgi_param SERVER_PORT $server_port;\n\
                   fastcgi_param SERVER_NAME $server_name;\n\
                   fastcgi_param REDIRECT_STATUS 200;\n\
                 }}\n\
               }}\n\
             }}\n",
            web = web.display(),
            socket = socket.display(),
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).expect("write nginx.conf");
        let mut command = Command::new(binary("NGINX", &["nginx"], "nginx-light"));
        command
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("nginx-error.log"))
            .arg("-c")
            .arg(&conf);
        let mut nginx = Daemon::spawn("nginx", command, dir.join("nginx.out"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while nginx.running() && Instant::now() < deadline {
            if let Ok(r) = try_request(port, "GET", "/ping", &[], None) {
                let ffi_enable = if ffi == Ffi::Enabled { "1" } else { "preload" };
                assert!(
                    r.status == 200
                        && r.body.starts_with("pong pid ")
                        && r.body.contains(&format!(" ffi.enable {ffi_enable} ")),
                    "nginx and php-fpm answer /ping, with ffi.enable={ffi_enable}: {r:?}"
                );
                return (nginx, port);
            }
            thread::sleep(Duration::from_millis(20));
        }
        let running = nginx.running();
        nginx.stop();
        let log = format!(
            "{}{}",
            nginx.log(),
            std::fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default()
        );
        assert!(
            !running && attempt < 3,
            "nginx did not start (attempt {attempt}, running {running}):\n{log}"
        );
    }
    unreachable!()
}

#[derive(Debug)]
struct Response {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    /// The value of the `authkv_session` cookie this response sets, if any
    /// (and there must not be two).
    fn session_cookie(&self) -> Option<String> {
        let set: Vec<String> = self
            .headers
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .filter_map(|(_, value)| value.strip_prefix("authkv_session="))
            .map(|value| value.split(';').next().unwrap_or_default().to_string())
            .collect();
        assert!(set.len() <= 1, "one session cookie at most: {self:?}");
        set.into_iter().next()
    }

    /// What the body says after `word ` (up to the next space).
    fn word_after(&self, word: &str) -> Option<&str> {
        let mut words = self.body.split_whitespace();
        words.find(|w| *w == word)?;
        words.next()
    }
}

/// One HTTP/1.1 request on a connection of its own.
fn try_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    cookie: Option<&str>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         User-Agent: php_fpm.rs\r\n"
    );
    if method == "POST" {
        head.push_str("Content-Length: 0\r\n");
    }
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: authkv_session={cookie}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, text.clone());
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(bad)?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        unchunk(body).ok_or_else(bad)?
    } else {
        body.to_string()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn unchunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size + 2..)?;
    }
}

/// One request of a browser, as seen: what it sent and what it got.
struct Seen {
    what: String,
    sent: Option<String>,
    response: Response,
}

/// A browser with its own cookie jar (the session cookie), sending the
/// Origin of the site with every request, as a same-origin page does.
struct Browser {
    port: u16,
    user: u64,
    cookie: Option<String>,
    seen: Vec<Seen>,
}

impl Browser {
    fn request(&mut self, method: &str, path: &str, csrf: Option<&str>) -> &Seen {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let mut headers = vec![("Origin", origin.as_str())];
        if let Some(token) = csrf {
            headers.push(("X-CSRF-TOKEN", token));
        }
        let what = format!(
            "client {}, request {} ({method} {path})",
            self.user,
            self.seen.len()
        );
        let response = try_request(self.port, method, path, &headers, self.cookie.as_deref())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let sent = self.cookie.clone();
        if let Some(cookie) = response.session_cookie() {
            self.cookie = Some(cookie);
        }
        self.seen.push(Seen {
            what,
            sent,
            response,
        });
        self.seen.last().expect("just pushed")
    }

    /// Log in, count, log out (with the CSRF token of the login; in the
    /// second round first without it), count once more; twice. Checks each
    /// answer as it comes.
    fn run(mut self) -> Vec<Seen> {
        let user = self.user;
        for (round, counts) in COUNTS.into_iter().enumerate() {
            let before = self.cookie.clone();
            let login = self.request("GET", &format!("/login?user={user}"), None);
            expect(login, 200, &format!("user {user} csrf "));
            let csrf = login
                .response
                .word_after("csrf")
                .unwrap_or_default()
                .to_string();
            assert!(
                login.response.body.contains(" sessions 1 pid "),
                "{}: userSessions({user}) lists the one session: {:?}",
                login.what,
                login.response.body
            );
            let logged_in = login.response.session_cookie();
            assert!(
                logged_in.is_some() && logged_in != before,
                "{}: the login sets a new session cookie",
                login.what
            );
            for i in 1..=counts {
                let seen = self.request("GET", "/count", None);
                expect(seen, 200, &format!("count {i} user {user} pid "));
                assert_eq!(
                    seen.response.session_cookie(),
                    None,
                    "{}: the id stays",
                    seen.what
                );
            }
            if round == 1 {
                let seen = self.request("POST", "/logout", None);
                expect(seen, 419, "CSRF token mismatch pid ");
            }
            let logout = self.request("POST", "/logout", Some(&csrf));
            expect(logout, 200, "logged out pid ");
            let anonymous = logout.response.session_cookie();
            assert!(
                anonymous.is_some() && anonymous != logged_in,
                "{}: the logout sets a new session cookie",
                logout.what
            );
            let seen = self.request("GET", "/count", None);
            expect(seen, 401, "no user pid ");
        }
        assert_eq!(
            self.seen.len(),
            REQUESTS_PER_CLIENT,
            "client {user}: requests"
        );
        self.seen
    }
}

/// Check the status and the start of the body.
fn expect(seen: &Seen, status: u16, starts: &str) {
    assert!(
        seen.response.status == status && seen.response.body.starts_with(starts),
        "{}: expected {status} \"{starts}...\", got {} {:?} (sent cookie {:?})",
        seen.what,
        seen.response.status,
        seen.response.body,
        seen.sent
    );
}

/// Every log of both servers, for a failure message.
fn logs(dir: &Path) -> String {
    [
        "php-fpm.out",
        "php-fpm.log",
        "php-errors.log",
        "nginx.out",
        "nginx-error.log",
    ]
    .map(|name| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        format!("--- {name}\n{text}")
    })
    .join("")
}

/// The worker pid and its engine's lookups at the end of an answer.
fn worker_of(seen: &Seen) -> (u32, u64) {
    let mut words = seen.response.body.split_whitespace().rev();
    let lookups = words.next().and_then(|n| n.parse().ok());
    let pid = words.nth(1).and_then(|n| n.parse().ok());
    match (pid, lookups) {
        (Some(pid), Some(lookups)) => (pid, lookups),
        _ => panic!(
            "{}: the answer names its worker: {:?}",
            seen.what, seen.response.body
        ),
    }
}

#[test]
fn nginx_and_php_fpm_serve_sessions_across_workers() {
    serve_browsers(Ffi::Enabled);
}

#[test]
fn php_fpm_with_the_classes_preloaded_keeps_ffi_enable_preload() {
    serve_browsers(Ffi::Preloaded);
}

/// Start both servers, let the browsers run, stop the servers, check.
fn serve_browsers(ffi: Ffi) {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("web.redb");
    let (mut fpm, socket) = start_php_fpm(dir.path(), &db, ffi);
    let fpm_workers: BTreeSet<u32> = fpm.workers().into_iter().collect();
    let (mut nginx, port) = start_nginx(dir.path(), &socket, ffi);

    let clients: Vec<thread::JoinHandle<Vec<Seen>>> = (1..=CLIENTS)
        .map(|user| {
            let browser = Browser {
                port,
                user,
                cookie: None,
                seen: Vec::new(),
            };
            thread::spawn(move || browser.run())
        })
        .collect();
    let results: Vec<thread::Result<Vec<Seen>>> =
        clients.into_iter().map(thread::JoinHandle::join).collect();
    let served = started.elapsed();
    nginx.stop();
    fpm.stop();
    let logs = logs(dir.path());
    let mut transcripts = Vec::new();
    for result in results {
        match result {
            Ok(transcript) => transcripts.push(transcript),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{message}\n{logs}");
            }
        }
    }
    let requests = transcripts.iter().map(Vec::len).sum::<usize>();
    assert_eq!(requests, 200, "requests made");

    // Every answer came from one of the pool's workers; sessions moved
    // between them; the workers kept their engines open from one request
    // to the next.
    let mut lookups_by_pid: BTreeMap<u32, u64> = BTreeMap::new();
    let mut sessions_on_several_workers = 0;
    for transcript in &transcripts {
        let mut pids = BTreeSet::new();
        for seen in transcript {
            let (pid, lookups) = worker_of(seen);
            assert!(
                fpm_workers.contains(&pid),
                "{}: served by {pid}, not a worker of php-fpm {fpm_workers:?}",
                seen.what
            );
            pids.insert(pid);
            let max = lookups_by_pid.entry(pid).or_default();
            *max = (*max).max(lookups);
        }
        sessions_on_several_workers += usize::from(pids.len() > 1);
    }
    assert!(
        lookups_by_pid.len() > 1,
        "requests were served by several workers: {lookups_by_pid:?}"
    );
    assert!(
        sessions_on_several_workers > 0,
        "some browser's requests went to several workers"
    );
    assert!(
        lookups_by_pid.values().any(|&n| n >= 30),
        "a worker kept its engine between requests: {lookups_by_pid:?}"
    );

    for bad in [
        "PHP Warning",
        "PHP Notice",
        "PHP Deprecated",
        "PHP Fatal",
        "PHP Parse",
        "[error]",
        "[crit]",
        "[alert]",
        "[emerg]",
        "ERROR:",
        "WARNING:",
        "ALERT:",
        "Segmentation",
        "core dumped",
    ] {
        assert!(
            !logs.contains(bad),
            "the logs are clean of {bad:?}:\n{logs}"
        );
    }

    // What the workers left in the file: no user has a session, each
    // browser its anonymous session from the last logout, all consistent.
    let engine =
        authkv::Engine::open(&db, authkv::Config::default()).expect("open the app's database");
    for user in 1..=CLIENTS {
        assert_eq!(
            engine.user_sessions(user).expect("user sessions").len(),
            0,
            "user {user} logged out everywhere"
        );
    }
    assert_eq!(
        engine.stats().expect("stats").sessions,
        CLIENTS,
        "sessions left"
    );
    let report = engine.verify().expect("verify");
    assert!(
        report.problems.is_empty(),
        "consistent: {:?}",
        report.problems
    );
    eprintln!(
        "nginx + php-fpm ({ffi:?}): {requests} requests from {CLIENTS} browsers in {served:?} on workers \
         {lookups_by_pid:?} (pid: lookups); {:?} in all",
        started.elapsed()
    );
}
