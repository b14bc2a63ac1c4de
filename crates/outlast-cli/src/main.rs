//! `outlast-cli`: the Outlast core without a window, for testers and scripts.
//!
//! It signs in, then runs one command: `status`, `chats`, `history`, `send` or `tail`. Every core
//! event and connection change is printed as one JSON object per line on stdout (`tail`, and
//! `--events` for the others); logs go to stderr. Exit codes say what went wrong, so outage drills
//! can be scripted: see `docs/cli.md`.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use outlast_core::{
    Client, ClientOptions, ConnectionSettings, ConnectionState, CoreError, CoreEvent, MessageState,
};
use serde_json::json;
use tokio::sync::broadcast;
use tokio::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-cli",
    version,
    about = "Outlast headless client: sign in, send, and print events and connection changes as JSON lines"
)]
struct Args {
    /// The server's discovery address (host:port or http(s) URL).
    #[arg(long, env = "OUTLAST_SERVER", default_value = "127.0.0.1:7710")]
    server: String,
    #[arg(long, env = "OUTLAST_USER", default_value = "demo")]
    user: String,
    /// The password is read from this environment variable (never from the command line, where
    /// other users could see it).
    #[arg(long, default_value = "OUTLAST_PASSWORD")]
    password_env: String,
    /// Read the password from the first line of standard input instead.
    #[arg(long)]
    password_stdin: bool,
    /// Keep the endpoint cache here, so a later run survives a discovery outage.
    #[arg(long, env = "OUTLAST_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Also print events as JSON lines while running `send`, `status` or `history`.
    #[arg(long)]
    events: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the session, connection and service health once connected (or when the wait ends).
    Status {
        /// Seconds to wait for a connection before printing what there is.
        #[arg(long, default_value_t = 10)]
        wait: u64,
    },
    /// Print the chat list.
    Chats,
    /// Print a chat's recent messages, oldest first.
    History {
        #[arg(long)]
        chat: String,
    },
    /// Send a message and wait for the server to store it.
    Send {
        #[arg(long)]
        chat: String,
        /// Seconds to wait for the ack (the message stays queued in this process until then).
        #[arg(long, default_value_t = 30)]
        wait: u64,
        body: String,
    },
    /// Write `--count` messages into a chat (each printed as `queued` once it is durably kept,
    /// when a data folder is given), then wait for all of them to be stored by the server. For
    /// drills and crash tests: a killed run's messages are sent by the next run.
    Write {
        #[arg(long)]
        chat: String,
        #[arg(long, default_value_t = 100)]
        count: u32,
        /// Bodies are `<prefix><n>`.
        #[arg(long, default_value = "message ")]
        prefix: String,
        /// Seconds to wait for every acknowledgement (0: do not wait).
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// Print every event and connection change until stopped (Ctrl-C), `--for` seconds pass or
    /// `--count` events were printed.
    Tail {
        #[arg(long = "for")]
        for_secs: Option<u64>,
        #[arg(long)]
        count: Option<u64>,
    },
}

/// Exit codes, stable for scripts.
mod exit {
    pub const BAD_INPUT: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const SIGN_IN_REFUSED: u8 = 4;
    pub const MESSAGE_REFUSED: u8 = 5;
    pub const TIMED_OUT: u8 = 6;
    pub const FAILED: u8 = 1;
}

struct Failure {
    code: u8,
    message: String,
}

impl From<CoreError> for Failure {
    fn from(err: CoreError) -> Self {
        let code = match err.code() {
            "invalid_input" | "invalid_server_url" | "unknown_chat" => exit::BAD_INPUT,
            "bad_credentials" => exit::SIGN_IN_REFUSED,
            _ if err.retryable() => exit::UNREACHABLE,
            _ => exit::FAILED,
        };
        Failure {
            code,
            message: err.to_string(),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("outlast-cli: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let password = password(&args)?;
    let client = Client::with_options(ClientOptions {
        connection: ConnectionSettings::default(),
        data_dir: args.data_dir.clone(),
        builtin_endpoints: None,
        vault: None,
    });
    let mut events = client.subscribe();
    let printer = Printer { all: args.events };
    client.login(&args.server, &args.user, &password).await?;

    match args.command {
        Command::Status { wait } => {
            let deadline = Instant::now() + Duration::from_secs(wait);
            let connected = wait_until(&client, &mut events, &printer, deadline, |c| {
                is_connected(c)
            })
            .await;
            let info = client.session_info().ok_or_else(|| Failure {
                code: exit::FAILED,
                message: "signed out unexpectedly".into(),
            })?;
            print_line(&json!({ "type": "status", "session": info }));
            if !connected {
                return Err(Failure {
                    code: exit::TIMED_OUT,
                    message: format!("not connected within {wait} s"),
                });
            }
        }
        Command::Chats => {
            print_line(&json!({ "type": "chats", "chats": client.chats()? }));
        }
        Command::History { chat } => {
            let messages = client.open_chat(&chat).await?;
            print_line(&json!({ "type": "history", "chat_id": chat, "messages": messages }));
        }
        Command::Send { chat, wait, body } => {
            let pending = client.send(&chat, &body)?;
            let id = pending.client_msg_id.clone().unwrap_or_default();
            let deadline = Instant::now() + Duration::from_secs(wait);
            loop {
                let message = match next_event(&mut events, deadline).await {
                    Next::Event(event) => {
                        printer.event(&event);
                        match event {
                            CoreEvent::MessageUpdated { message }
                                if message.client_msg_id.as_deref() == Some(id.as_str()) =>
                            {
                                message
                            }
                            _ => continue,
                        }
                    }
                    // Events were missed: the message as it stands now.
                    Next::Lagged => match client.own_message(&id) {
                        Some(message) => message,
                        None => continue,
                    },
                    Next::End => {
                        return Err(Failure {
                            code: exit::TIMED_OUT,
                            message: format!(
                                "no acknowledgement within {wait} s; the message was not confirmed"
                            ),
                        })
                    }
                };
                match message.state {
                    MessageState::Sent => {
                        print_line(&json!({ "type": "sent", "message": message }));
                        break;
                    }
                    MessageState::Failed => {
                        return Err(Failure {
                            code: exit::MESSAGE_REFUSED,
                            message: format!(
                                "the server refused the message: {}",
                                message.failure.clone().unwrap_or_default()
                            ),
                        })
                    }
                    MessageState::Pending => {}
                }
            }
        }
        Command::Write {
            chat,
            count,
            prefix,
            wait,
        } => {
            let mut waiting = std::collections::HashSet::new();
            for n in 0..count {
                let body = format!("{prefix}{n}");
                let pending = client.send(&chat, &body)?;
                let id = pending.client_msg_id.unwrap_or_default();
                print_line(&json!({ "type": "queued", "body": body, "client_msg_id": id }));
                waiting.insert(id);
            }
            let deadline = Instant::now() + Duration::from_secs(wait);
            while wait > 0 && !waiting.is_empty() {
                let updated = match next_event(&mut events, deadline).await {
                    Next::Event(event) => {
                        printer.event(&event);
                        match event {
                            CoreEvent::MessageUpdated { message } => vec![message],
                            _ => continue,
                        }
                    }
                    // Events were missed (thousands of acks outran this reader): what is not
                    // among the unsent messages any more was acknowledged.
                    Next::Lagged => {
                        let unsent = client.unsent()?;
                        let still: std::collections::HashSet<&str> = unsent
                            .iter()
                            .filter_map(|m| m.client_msg_id.as_deref())
                            .collect();
                        waiting.retain(|id| still.contains(id.as_str()));
                        print_line(&json!({ "type": "resync", "waiting": waiting.len() }));
                        unsent
                    }
                    Next::End => {
                        return Err(Failure {
                            code: exit::TIMED_OUT,
                            message: format!(
                                "{} of {count} messages not acknowledged within {wait} s; they stay queued",
                                waiting.len()
                            ),
                        })
                    }
                };
                for message in updated {
                    let id = message.client_msg_id.clone().unwrap_or_default();
                    match message.state {
                        MessageState::Sent => {
                            waiting.remove(&id);
                        }
                        MessageState::Failed if waiting.contains(&id) => {
                            return Err(Failure {
                                code: exit::MESSAGE_REFUSED,
                                message: format!(
                                    "the server refused {:?}: {}",
                                    message.body,
                                    message.failure.clone().unwrap_or_default()
                                ),
                            })
                        }
                        _ => {}
                    }
                }
            }
            print_line(&json!({ "type": "written", "count": count, "acknowledged": wait > 0 }));
        }
        Command::Tail { for_secs, count } => {
            let printer = Printer { all: true };
            // The state at the start, so a reader knows where things stand before any change.
            print_state(&client, &printer);
            let deadline = for_secs.map(|s| Instant::now() + Duration::from_secs(s));
            let mut printed = 0u64;
            loop {
                let next = async {
                    match deadline {
                        Some(deadline) => next_event(&mut events, deadline).await,
                        None => {
                            next_event(
                                &mut events,
                                Instant::now() + Duration::from_secs(86_400 * 365),
                            )
                            .await
                        }
                    }
                };
                tokio::select! {
                    event = next => match event {
                        Next::Event(event) => {
                            printer.event(&event);
                            printed += 1;
                            if count.is_some_and(|n| printed >= n) {
                                break;
                            }
                        }
                        // Changes were missed (printed as `lagged`): where things stand now.
                        Next::Lagged => print_state(&client, &printer),
                        Next::End => break,
                    },
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
        }
    }
    client.logout();
    Ok(())
}

fn password(args: &Args) -> Result<String, Failure> {
    if args.password_stdin {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure {
                code: exit::BAD_INPUT,
                message: format!("cannot read the password from standard input: {e}"),
            })?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var(&args.password_env).map_err(|_| Failure {
        code: exit::BAD_INPUT,
        message: format!(
            "set the password in the environment variable {} (or use --password-stdin)",
            args.password_env
        ),
    })
}

fn is_connected(state: &ConnectionState) -> bool {
    matches!(state, ConnectionState::Connected { .. })
}

/// Wait until the connection state satisfies `done` or the deadline passes; `true` if it did.
async fn wait_until(
    client: &Client,
    events: &mut broadcast::Receiver<CoreEvent>,
    printer: &Printer,
    deadline: Instant,
    done: impl Fn(&ConnectionState) -> bool,
) -> bool {
    if done(&client.connection_state()) {
        return true;
    }
    loop {
        match next_event(events, deadline).await {
            Next::Event(event) => {
                printer.event(&event);
                if let CoreEvent::ConnectionChanged { state } = &event {
                    if done(state) {
                        return true;
                    }
                }
            }
            Next::Lagged if done(&client.connection_state()) => return true,
            Next::Lagged => {}
            Next::End => return done(&client.connection_state()),
        }
    }
}

/// What the core's event stream gave next.
// Short-lived, one at a time: boxing the event would only add an allocation per event.
#[allow(clippy::large_enum_variant)]
enum Next {
    Event(CoreEvent),
    /// This reader fell behind and changes were missed (printed as a `lagged` line): resync
    /// from the client's current state.
    Lagged,
    /// The deadline passed or the client is gone.
    End,
}

async fn next_event(events: &mut broadcast::Receiver<CoreEvent>, deadline: Instant) -> Next {
    match tokio::time::timeout_at(deadline, events.recv()).await {
        Err(_) => Next::End,
        Ok(Ok(event)) => Next::Event(event),
        Ok(Err(broadcast::error::RecvError::Lagged(missed))) => {
            print_line(&json!({ "type": "lagged", "missed": missed }));
            Next::Lagged
        }
        Ok(Err(broadcast::error::RecvError::Closed)) => Next::End,
    }
}

/// The connection and the services as they are now, as the events that would announce them.
fn print_state(client: &Client, printer: &Printer) {
    printer.event(&CoreEvent::ConnectionChanged {
        state: client.connection_state(),
    });
    printer.event(&CoreEvent::ServicesChanged {
        services: client.services(),
    });
}

struct Printer {
    all: bool,
}

impl Printer {
    fn event(&self, event: &CoreEvent) {
        if self.all {
            print_line(&serde_json::to_value(event).unwrap_or_else(
                |e| json!({ "type": "unprintable_event", "error": e.to_string() }),
            ));
        }
    }
}

/// One JSON object per line, stamped with the wall-clock time.
fn print_line(value: &serde_json::Value) {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        object.insert("ts_ms".into(), json!(now));
    }
    let mut out = io::stdout().lock();
    // A closed pipe (e.g. `| head`) is the reader's choice, not an error worth a panic.
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}
