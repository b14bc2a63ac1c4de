//! Scenarios played in process (as the app's tester panel does): the faults follow the steps,
//! another scenario replaces the one playing, and stopping leaves the faults as they are.

use std::time::Duration;

use outlast_mock::{MockConfig, MockServer};

fn media_fault(server: &MockServer) -> String {
    server
        .listeners()
        .into_iter()
        .find(|l| l.id == "media")
        .map(|l| l.fault)
        .unwrap()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never saw {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_shipped_scenario_plays_to_its_end_and_can_be_replaced_or_stopped() {
    let server = MockServer::start(MockConfig::default()).await.unwrap();
    // 45 scenario minutes in about 0.3 s.
    let name = server.play_scenario("media-down", 9_000.0).unwrap();
    assert_eq!(name, "Media down");
    until("the media outage", || media_fault(&server) != "up").await;
    until("the scenario's end", || server.scenario_playing().is_none()).await;
    assert_eq!(media_fault(&server), "up", "the last step restores it");

    // A slow one, then stopped: the fault in force stays.
    server.play_scenario("media-down", 1.0).unwrap();
    until("the media outage again", || media_fault(&server) != "up").await;
    assert_eq!(server.scenario_playing().as_deref(), Some("Media down"));
    server.stop_scenario();
    assert!(server.scenario_playing().is_none());
    assert_ne!(media_fault(&server), "up");

    assert!(server.play_scenario("no-such-scenario", 1.0).is_err());
    assert!(server.play_scenario("media-down", 0.0).is_err());
}
