//! Whatever a gateway sends, the client's frame decoder returns a frame or an error, never
//! panics; and a frame it accepts survives an encode/decode round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outlast_protocol::{decode_server_frame, encode_frame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = decode_server_frame(text) {
        let again = decode_server_frame(&encode_frame(&frame)).expect("re-encoded frame decodes");
        assert_eq!(frame, again);
    }
});
