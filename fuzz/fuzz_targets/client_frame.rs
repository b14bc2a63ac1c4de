//! Whatever a client sends, the server-side frame decoder returns a frame or an error, never
//! panics; accepted frames round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outlast_protocol::{decode_client_frame, encode_frame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = decode_client_frame(text) {
        let again = decode_client_frame(&encode_frame(&frame)).expect("re-encoded frame decodes");
        assert_eq!(frame, again);
    }
});
