//! Every REST answer the client decodes (discovery, login, chats, history, events, send, errors)
//! takes arbitrary bytes without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outlast_protocol::{
    ApiError, ChatsResponse, DiscoveryConfig, EventsPage, LoginResponse, MessagesPage,
    SendResponse,
};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<DiscoveryConfig>(data);
    let _ = serde_json::from_slice::<LoginResponse>(data);
    let _ = serde_json::from_slice::<ChatsResponse>(data);
    let _ = serde_json::from_slice::<MessagesPage>(data);
    if let Ok(page) = serde_json::from_slice::<EventsPage>(data) {
        // What the client does with a page: walk its events and gap.
        let _ = page.events.iter().map(|e| e.seq).max();
        let _ = page.gap.map(|g| g.first_available_seq);
    }
    let _ = serde_json::from_slice::<SendResponse>(data);
    let _ = serde_json::from_slice::<ApiError>(data);
});
