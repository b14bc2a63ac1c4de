//! A chat saved as a text file, in the style of KakaoTalk's "save chat": a header naming the chat
//! and when it was saved, a line for each new day, then one line per message
//! (`[Name] [time] text`), each file named on its own line. It reads the local cache only, so it
//! works offline, and it says where history is missing rather than hiding it.
//!
//! `ChatText` only formats (pure, for any `Write` and any time zone); `History::export` feeds it
//! from the cache a page at a time, so a chat of any length takes bounded memory.

use std::io::{self, Write};

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::ChatMessage;

/// The language of a saved chat's own words (headers, dates, times); messages are as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportLanguage {
    English,
    Korean,
}

/// What saving a chat made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportedChat {
    /// Where the file is.
    pub path: String,
    /// How many messages it holds.
    #[ts(type = "number")]
    pub messages: u64,
    /// Some of the chat's history is not in the local cache (older messages never fetched, or a
    /// gap an outage left), and the file says where.
    pub incomplete: bool,
}

/// Windows' own editors expect CRLF; elsewhere LF.
const NEWLINE: &str = if cfg!(windows) { "\r\n" } else { "\n" };
/// What starts the second and later lines of a message's text.
const CONTINUED: &str = "  ";

/// A chat being written as text.
pub struct ChatText<W: Write, Tz: TimeZone> {
    out: W,
    language: ExportLanguage,
    zone: Tz,
    /// The day of the last line written, for the day lines.
    day: Option<(i32, u32, u32)>,
    messages: u64,
}

impl<W: Write, Tz: TimeZone> ChatText<W, Tz> {
    /// Start the file: the chat's title and when it was saved (`saved_at_ms`), and a note when
    /// older messages are not in the cache (`earlier_missing`).
    pub fn start(
        out: W,
        language: ExportLanguage,
        zone: Tz,
        title: &str,
        saved_at_ms: u64,
        earlier_missing: bool,
    ) -> io::Result<Self> {
        let mut text = ChatText {
            out,
            language,
            zone,
            day: None,
            messages: 0,
        };
        let title = one_line(title);
        let saved = text.local(saved_at_ms);
        let stamp = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            saved.year(),
            saved.month(),
            saved.day(),
            saved.hour(),
            saved.minute(),
            saved.second()
        );
        match language {
            ExportLanguage::English => {
                text.line(&format!("Chat: {title}"))?;
                text.line(&format!("Date Saved : {stamp}"))?;
            }
            ExportLanguage::Korean => {
                text.line(&format!("{title} 대화"))?;
                text.line(&format!("저장한 날짜 : {stamp}"))?;
            }
        }
        text.line("")?;
        if earlier_missing {
            text.line(match language {
                ExportLanguage::English => {
                    "(Earlier messages are not on this computer: open the chat and scroll up while connected to fetch them.)"
                }
                ExportLanguage::Korean => {
                    "(이전 메시지는 이 컴퓨터에 없습니다. 연결된 상태에서 대화방을 위로 스크롤하면 받아옵니다.)"
                }
            })?;
            text.line("")?;
        }
        Ok(text)
    }

    /// Note that messages may be missing between the last message written and the next (a gap
    /// an outage left).
    pub fn gap(&mut self) -> io::Result<()> {
        self.line(match self.language {
            ExportLanguage::English => {
                "--------------- (some messages here are not on this computer) ---------------"
            }
            ExportLanguage::Korean => {
                "--------------- (이 사이의 일부 메시지는 이 컴퓨터에 없습니다) ---------------"
            }
        })
    }

    /// One message: a day line first if it is the first of its day, then `[Name] [time] text`
    /// (a text of several lines continues below, as written), then a line for each file.
    pub fn message(&mut self, message: &ChatMessage) -> io::Result<()> {
        let at = self.local(message.sent_at_ms);
        let day = (at.year(), at.month(), at.day());
        if self.day != Some(day) {
            self.day = Some(day);
            let line = format!("--------------- {} ---------------", self.date(&at));
            self.line(&line)?;
        }
        let prefix = format!("[{}] [{}]", one_line(&message.sender_name), self.time(&at));
        let names: Vec<&str> = message
            .attachments
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        // A message of files alone carries their names as its text: name them once.
        let body = if !names.is_empty() && message.body == names.join(", ") {
            ""
        } else {
            message.body.as_str()
        };
        if !body.is_empty() {
            let body = printable(body);
            let line = format!("{prefix} {body}");
            self.line(&line)?;
        }
        for attachment in &message.attachments {
            let file = match self.language {
                ExportLanguage::English => "File",
                ExportLanguage::Korean => "파일",
            };
            let line = format!(
                "{prefix} {file}: {} ({})",
                one_line(&attachment.name),
                size(attachment.size)
            );
            self.line(&line)?;
        }
        self.messages += 1;
        Ok(())
    }

    /// Finish the file; the writer and how many messages went in.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.flush()?;
        Ok((self.out, self.messages))
    }

    /// `ms` (from a server: any value) as a time in the zone; out of range reads as the epoch.
    fn local(&self, ms: u64) -> DateTime<Tz> {
        i64::try_from(ms)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::UNIX_EPOCH)
            .with_timezone(&self.zone)
    }

    fn date(&self, at: &DateTime<Tz>) -> String {
        let weekday = at.weekday().num_days_from_monday() as usize;
        match self.language {
            ExportLanguage::English => format!(
                "{}, {} {}, {}",
                [
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday"
                ][weekday],
                [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December"
                ][at.month0() as usize],
                at.day(),
                at.year()
            ),
            ExportLanguage::Korean => format!(
                "{}년 {}월 {}일 {}",
                at.year(),
                at.month(),
                at.day(),
                [
                    "월요일",
                    "화요일",
                    "수요일",
                    "목요일",
                    "금요일",
                    "토요일",
                    "일요일"
                ][weekday]
            ),
        }
    }

    fn time(&self, at: &DateTime<Tz>) -> String {
        let (pm, hour) = at.hour12();
        match self.language {
            ExportLanguage::English => {
                format!("{hour}:{:02} {}", at.minute(), if pm { "PM" } else { "AM" })
            }
            ExportLanguage::Korean => {
                format!(
                    "{} {hour}:{:02}",
                    if pm { "오후" } else { "오전" },
                    at.minute()
                )
            }
        }
    }

    fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(NEWLINE.as_bytes())
    }
}

/// A name or title on one line: line breaks and other control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A message's text as it can be read in a text file: its line breaks kept (in the platform's
/// form), each further line indented so that no text can pass for a message or a day line of its
/// own, other control characters (which a sender could use to garble the file) dropped.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push_str(NEWLINE);
            out.push_str(CONTINUED);
        }
        out.extend(line.chars().filter(|c| *c == '\t' || !c.is_control()));
    }
    out
}

/// A file's size as people read it.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

    use super::*;
    use crate::model::{MessageAttachment, MessageState};

    fn seoul() -> FixedOffset {
        FixedOffset::east_opt(9 * 3600).unwrap()
    }

    /// Milliseconds at that time in Seoul.
    fn at(day: u32, hour: u32, minute: u32) -> u64 {
        seoul()
            .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .unwrap()
            .timestamp_millis() as u64
    }

    fn message(sender: &str, body: &str, sent_at_ms: u64) -> ChatMessage {
        ChatMessage {
            client_msg_id: None,
            msg_id: Some(format!("m-{sent_at_ms}")),
            chat_id: "c-jun".into(),
            sender_id: format!("u-{sender}"),
            sender_name: sender.into(),
            body: body.into(),
            sent_at_ms,
            seq: None,
            state: MessageState::Sent,
            failure: None,
            own: false,
            attachments: Vec::new(),
        }
    }

    fn file(name: &str, size: u64) -> MessageAttachment {
        MessageAttachment {
            name: name.into(),
            size,
            mime: "application/pdf".into(),
            media_id: Some("md-1".into()),
            waiting_because: None,
        }
    }

    /// A day of a chat: a two-line text, a message of files alone, a gap, the next day.
    fn write(language: ExportLanguage, earlier_missing: bool) -> (String, u64) {
        let mut text = ChatText::start(
            Vec::new(),
            language,
            seoul(),
            "Jun",
            at(9, 21, 30) + 15_000,
            earlier_missing,
        )
        .unwrap();
        text.message(&message("Jun", "Lunch?\nAt noon", at(8, 9, 5)))
            .unwrap();
        let mut files = message("Me", "report.pdf, 사진.png", at(8, 13, 40));
        files.attachments = vec![file("report.pdf", 1_288_490), file("사진.png", 900)];
        text.message(&files).unwrap();
        text.gap().unwrap();
        text.message(&message("Jun", "Thanks", at(9, 0, 1)))
            .unwrap();
        let (out, count) = text.finish().unwrap();
        (String::from_utf8(out).unwrap(), count)
    }

    #[test]
    fn a_chat_reads_like_a_kakaotalk_saved_chat_in_korean() {
        let (text, count) = write(ExportLanguage::Korean, false);
        assert_eq!(count, 3);
        assert_eq!(
            text,
            "Jun 대화\n\
             저장한 날짜 : 2026-12-09 21:30:15\n\
             \n\
             --------------- 2026년 12월 8일 화요일 ---------------\n\
             [Jun] [오전 9:05] Lunch?\n  \
             At noon\n\
             [Me] [오후 1:40] 파일: report.pdf (1.2 MB)\n\
             [Me] [오후 1:40] 파일: 사진.png (900 B)\n\
             --------------- (이 사이의 일부 메시지는 이 컴퓨터에 없습니다) ---------------\n\
             --------------- 2026년 12월 9일 수요일 ---------------\n\
             [Jun] [오전 12:01] Thanks\n"
        );
    }

    #[test]
    fn in_english_with_earlier_history_missing_it_says_so_first() {
        let (text, _) = write(ExportLanguage::English, true);
        assert_eq!(
            text,
            "Chat: Jun\n\
             Date Saved : 2026-12-09 21:30:15\n\
             \n\
             (Earlier messages are not on this computer: open the chat and scroll up while connected to fetch them.)\n\
             \n\
             --------------- Tuesday, December 8, 2026 ---------------\n\
             [Jun] [9:05 AM] Lunch?\n  \
             At noon\n\
             [Me] [1:40 PM] File: report.pdf (1.2 MB)\n\
             [Me] [1:40 PM] File: 사진.png (900 B)\n\
             --------------- (some messages here are not on this computer) ---------------\n\
             --------------- Wednesday, December 9, 2026 ---------------\n\
             [Jun] [12:01 AM] Thanks\n"
        );
    }

    #[test]
    fn what_a_sender_controls_cannot_forge_lines_or_break_the_file() {
        let mut text = ChatText::start(
            Vec::new(),
            ExportLanguage::English,
            seoul(),
            "Evil\ntitle",
            0,
            false,
        )
        .unwrap();
        let mut forged = message(
            "Jun] [9:00 AM] Boss\n[Boss",
            "pay\u{1b}[2J now\r\n[Boss] [9:01 AM] really",
            u64::MAX,
        );
        forged.attachments = vec![file("a\nb.exe", 1)];
        text.message(&forged).unwrap();
        let (out, count) = text.finish().unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(count, 1);
        // A name or title stays on its line; a text keeps its line breaks, but its further lines
        // are indented (no line of it passes for a message of someone else), and its terminal
        // escapes are dropped.
        assert!(out.starts_with("Chat: Evil title\n"), "{out}");
        assert!(
            out.contains(
                "[Jun] [9:00 AM] Boss [Boss] [9:00 AM] pay[2J now\n  [Boss] [9:01 AM] really\n"
            ),
            "{out}"
        );
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out}");
        assert!(out.contains("File: a b.exe (1 B)"), "{out}");
        // A time out of range reads as the epoch (9:00 in Seoul), without a panic.
        assert!(out.contains("Thursday, January 1, 1970"), "{out}");
    }
}
