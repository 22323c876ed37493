//! Where the password of a named account (`DOMAIN\user`) comes from: never the command line or
//! the config file.

use std::io::{self, BufRead, IsTerminal};

/// Supplies the password of a named account when an install runs.
pub trait PasswordSource {
    /// The password for `account`.
    fn password(&self, account: &str) -> io::Result<String>;
}

/// The standard password sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Passwords {
    /// No named accounts expected: asking for a password is an error.
    Refuse,
    /// One line read from standard input (for scripts: `echo secret | myservice install ...`).
    Stdin,
    /// Asked on the terminal without echo.
    Prompt,
    /// [`Passwords::Prompt`] when standard input is a terminal, else [`Passwords::Stdin`].
    StdinOrPrompt,
}

impl PasswordSource for Passwords {
    fn password(&self, account: &str) -> io::Result<String> {
        match self {
            Passwords::Refuse => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("account {account} needs a password: no password source was given"),
            )),
            Passwords::Stdin => {
                let mut line = String::new();
                io::stdin().lock().read_line(&mut line)?;
                Ok(line.trim_end_matches(['\r', '\n']).to_owned())
            }
            Passwords::Prompt => rpassword::prompt_password(format!("password for {account}: ")),
            Passwords::StdinOrPrompt if io::stdin().is_terminal() => {
                Passwords::Prompt.password(account)
            }
            Passwords::StdinOrPrompt => Passwords::Stdin.password(account),
        }
    }
}
