//! Requiring a fresh proof of the password for a request (see
//! `credential::confirm`).

use std::time::Duration;

use crate::credential::confirm::fresh;
use crate::engine::Engine;
use crate::guard::{GuardError, Principal, Via};

impl Engine {
    /// Refuse, with [`GuardError::PasswordConfirmationRequired`] (HTTP
    /// 423), a principal whose user did not prove the password within
    /// `max_age`: one that authenticated by a session confirmed longer ago,
    /// or by a bearer token, which carries no proof of the password.
    ///
    /// # Errors
    /// [`GuardError::PasswordConfirmationRequired`] as above.
    pub fn require_fresh(
        &self,
        principal: &Principal,
        max_age: Duration,
    ) -> Result<(), GuardError> {
        let now = self.core.now();
        match &principal.via {
            Via::Session(session) if fresh(session.password_confirmed_at, max_age, now) => Ok(()),
            _ => Err(GuardError::PasswordConfirmationRequired),
        }
    }
}
