//! Notifications as the desktop receives them: a recording notification server owns
//! org.freedesktop.Notifications on a private D-Bus session, the real mock backend delivers
//! messages from other users, and the client, the rules, the batcher and notify-rust run as in
//! the app. Checks what was shown, what was suppressed, and that a click opens the chat.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use outlast_core::{Client, CoreEvent, MessageState};
use outlast_desktop::notifications::{
    self, Batcher, Context, DesktopNotifier, Notice, NotificationSettings, Notifier,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use zbus::zvariant::OwnedValue;

const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
struct Shown {
    id: u32,
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    category: Option<String>,
}

#[derive(Clone, Default)]
struct Recorder {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push(Shown {
            id,
            app_name,
            summary,
            body,
            actions,
            category: hints
                .get("category")
                .and_then(|v| String::try_from(v.try_clone().ok()?).ok()),
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "recorder".into(),
            "outlast-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

struct Desktop {
    recorder: Recorder,
    connection: zbus::blocking::Connection,
}

fn desktop() -> &'static Desktop {
    static DESKTOP: OnceLock<Desktop> = OnceLock::new();
    DESKTOP.get_or_init(|| {
        outlast_testenv::start(false);
        let recorder = Recorder::default();
        let connection = zbus::blocking::connection::Builder::session()
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at("/org/freedesktop/Notifications", recorder.clone())
            .unwrap()
            .build()
            .unwrap();
        Desktop {
            recorder,
            connection,
        }
    })
}

impl Desktop {
    fn count(&self) -> usize {
        self.recorder.shown.lock().unwrap().len()
    }

    /// The notice number `n` (from 0), waiting for it to arrive.
    fn wait_for(&self, n: usize) -> Shown {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(shown) = self.recorder.shown.lock().unwrap().get(n) {
                return shown.clone();
            }
            assert!(Instant::now() < deadline, "notice {n} never came");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Click the notice until the app hears it. notify-rust starts listening for the click only
    /// once the notice is shown, a moment after the server recorded it; a person never clicks
    /// that fast, a test does, so it clicks again until heard (with a deadline).
    fn click_until_heard(
        &self,
        id: u32,
        clicks: &mpsc::Receiver<Option<String>>,
    ) -> Option<String> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.click(id);
            match clicks.recv_timeout(Duration::from_millis(100)) {
                Ok(chat) => return chat,
                Err(_) => assert!(
                    Instant::now() < deadline,
                    "the click on notice {id} was never heard"
                ),
            }
        }
    }

    fn click(&self, id: u32) {
        self.connection
            .emit_signal(
                None::<&str>,
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
                "ActionInvoked",
                &(id, "default"),
            )
            .unwrap();
    }
}

fn notifier() -> (Arc<dyn Notifier>, mpsc::Receiver<Option<String>>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let notifier = DesktopNotifier::new(
        "Outlast",
        Arc::new(move |chat| {
            let _ = tx.lock().unwrap().send(chat);
        }),
    );
    (Arc::new(notifier), rx)
}

async fn signed_in(server: &MockServer, username: &str) -> Client {
    let client = Client::default();
    client
        .login(server.discovery_url(), username, DEMO_PASSWORD)
        .await
        .unwrap();
    client
}

async fn say(client: &Client, chat: &str, body: &str) {
    let mut events = client.subscribe();
    client.send(chat, body).unwrap();
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(CoreEvent::MessageUpdated { message }) = events.recv().await {
                if message.body == body && message.state == MessageState::Sent {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{body:?} was not sent"));
}

#[test]
fn a_notice_reaches_the_notification_server_and_a_click_opens_its_chat() {
    let desktop = desktop();
    let (notifier, clicks) = notifier();
    let before = desktop.count();
    notifier.show(Notice {
        title: "Minji Kim".into(),
        body: "lunch?".into(),
        open_chat: Some("c-minji".into()),
    });
    let shown = desktop.wait_for(before);
    assert_eq!(shown.app_name, "Outlast");
    assert_eq!(shown.summary, "Minji Kim");
    assert_eq!(shown.body, "lunch?");
    assert!(shown.actions.contains(&"default".to_owned()), "{shown:?}");
    assert_eq!(shown.category.as_deref(), Some("im.received"));
    assert_eq!(
        desktop.click_until_heard(shown.id, &clicks).as_deref(),
        Some("c-minji")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_others_notify_grouped_and_muted_watched_and_hidden_ones_behave() {
    let desktop = desktop();
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let me = signed_in(&server, DEMO_USERNAME).await;
    let minji = signed_in(&server, "minji").await;
    let jun = signed_in(&server, "jun").await;
    let tester = signed_in(&server, "tester").await;

    let state = Arc::new(Mutex::new((
        NotificationSettings::default(),
        Context::default(),
    )));
    let (notifier, clicks) = notifier();
    let previews = state.clone();
    let batcher = Batcher::spawn(notifier, move || previews.lock().unwrap().0.show_previews);
    let now = state.clone();
    tokio::spawn(notifications::pump(me.clone(), batcher, move || {
        now.lock().unwrap().clone()
    }));
    let first = desktop.count();

    // A burst across three chats (as after an outage) is one notice, not six.
    say(&minji, "c-minji", "one").await;
    say(&jun, "c-jun", "two").await;
    say(&tester, "c-team", "three").await;
    say(&minji, "c-minji", "four").await;
    say(&jun, "c-jun", "five").await;
    say(&tester, "c-team", "six").await;
    let burst = desktop.wait_for(first);
    assert_eq!(burst.summary, "Outlast");
    assert_eq!(burst.body, "6 new messages in 3 chats");

    // Muted chat and the chat on screen stay quiet; the marker after them comes alone (had the
    // others been let through, they would share its notice).
    me.set_muted("c-jun", true).unwrap();
    state.lock().unwrap().1.focused_chat = Some("c-team".into());
    say(&jun, "c-jun", "in a muted chat").await;
    say(&tester, "c-team", "in the chat on screen").await;
    say(&minji, "c-minji", "marker").await;
    let alone = desktop.wait_for(first + 1);
    assert_eq!(
        alone.summary, "Minji Kim",
        "a direct chat is titled by its person"
    );
    assert_eq!(alone.body, "marker");
    assert_eq!(
        desktop.click_until_heard(alone.id, &clicks).as_deref(),
        Some("c-minji")
    );

    // Hidden previews: nothing of the message or its sender is shown.
    state.lock().unwrap().0.show_previews = false;
    say(&minji, "c-minji", "the secret plan").await;
    let hidden = desktop.wait_for(first + 2);
    assert_eq!(hidden.summary, "Outlast");
    assert_eq!(hidden.body, "1 new message");
    assert!(!format!("{hidden:?}").contains("secret") && !hidden.summary.contains("Minji"));

    // A muted group stays quiet, except for a message that mentions the user by name.
    state.lock().unwrap().0.show_previews = true;
    state.lock().unwrap().1.focused_chat = None;
    me.set_muted("c-team", true).unwrap();
    let my_name = me.session_info().unwrap().user.display_name;
    say(&tester, "c-team", "lunch, anyone?").await;
    say(&tester, "c-team", &format!("@{my_name} are you coming?")).await;
    let mention = desktop.wait_for(first + 3);
    assert_eq!(
        mention.body,
        format!("@{my_name} are you coming?"),
        "{mention:?}"
    );
    assert!(mention.summary.contains("Outlast team"), "{mention:?}");
}
