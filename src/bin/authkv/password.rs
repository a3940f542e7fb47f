//! The password for `users set-password`, never from the command line: at a
//! terminal it is typed without echo; from a pipe or file stdin must be that
//! one line, so that a wrong file is not taken for a password.

use std::io::{IsTerminal, Read};

use authkv::MAX_PASSWORD_LEN;

use crate::Failure;

/// The password, its line ending removed.
pub fn read() -> Result<String, Failure> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("password (not echoed): ").map_err(|e| {
            eprintln!(); // end the prompt's line
            Failure::failed(format!("cannot read the password: {e}"))
        })?
    } else {
        piped()?
    };
    if password.len() > MAX_PASSWORD_LEN {
        return Err(too_long());
    }
    Ok(password)
}

fn too_long() -> Failure {
    Failure::failed(format!(
        "the password is longer than {MAX_PASSWORD_LEN} bytes"
    ))
}

/// stdin, which must hold one line.
fn piped() -> Result<String, Failure> {
    // Room for the longest password, a CRLF, and one byte to tell it is longer.
    let limit = u64::try_from(MAX_PASSWORD_LEN).unwrap_or(u64::MAX) + 3;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::failed(format!("cannot read the password from stdin: {e}")))?;
    if bytes.len() as u64 >= limit {
        return Err(too_long());
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::failed("the password on stdin is not UTF-8 text"))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.contains('\n') {
        return Err(Failure::failed(
            "stdin holds more than one line; give the password alone on one line",
        ));
    }
    Ok(line.to_owned())
}
