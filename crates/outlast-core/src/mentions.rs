//! @mentions: a message mentions someone by their display name after an `@`, as the composer's
//! completion writes it ("@Mina Park, are you coming?"). A mention of the user notifies even in
//! a muted chat and is highlighted. The UI highlights with the same rule (`ui/src/lib/mentions.ts`).

/// Whether `body` mentions `name`: an `@` that starts a word (not inside an address such as
/// `a@b.com`), then exactly the name, which must end there (so "@Mina Parker" does not mention
/// "Mina Park"). A blank name is never mentioned.
pub fn mentions(body: &str, name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(found) = body[from..].find('@') {
        let at = from + found;
        let before = body[..at].chars().next_back();
        let starts_word = before.is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '.');
        let rest = &body[at + 1..];
        if starts_word && rest.starts_with(name) {
            let after = rest[name.len()..].chars().next();
            if after.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                return true;
            }
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_name_after_an_at_sign_standing_on_its_own_is_a_mention() {
        for body in [
            "@Mina Park",
            "@Mina Park, are you coming?",
            "see you @Mina Park!",
            "(@Mina Park)",
            "line one\n@Mina Park",
        ] {
            assert!(mentions(body, "Mina Park"), "{body:?}");
        }
        assert!(mentions("@민지 점심 먹었어?", "민지"));
        assert!(
            !mentions("회의 @김민지님", "김민지"),
            "a longer word is another name"
        );
    }

    #[test]
    fn addresses_longer_names_other_cases_and_blank_names_are_not() {
        for body in [
            "write to mina@Mina Park",
            "@Mina Parker said so",
            "@mina park",
            "Mina Park",
            "@ Mina Park",
            "@Mina",
            "",
            "@",
        ] {
            assert!(!mentions(body, "Mina Park"), "{body:?}");
        }
        assert!(!mentions("@ hello", " "));
        // Several at signs: the one that mentions counts.
        assert!(mentions("a@b.c and @Mina Park", "Mina Park"));
    }
}
