//! Unit tests of the JSON encoder and parser. They live apart from
//! `json.rs` because the integration tests include that file to read
//! `--json` output back, and should not run these a second time.

use crate::json::{Json, MAX_DEPTH, parse};

#[test]
fn encodes_escapes_and_keeps_unicode() {
    let value = Json::obj([
        ("s", Json::str("a\"b\\c\n\t\u{1}é😀")),
        ("n", Json::num(u64::MAX)),
        ("z", Json::Null),
        ("l", Json::strs(&["x", "y"])),
        ("b", Json::Bool(false)),
    ]);
    assert_eq!(
        value.encode(),
        r#"{"s":"a\"b\\c\n\t\u0001é😀","n":18446744073709551615,"z":null,"l":["x","y"],"b":false}"#
    );
}

#[test]
fn parses_what_it_encodes() {
    let value = Json::obj([
        ("s", Json::str("\u{0}\u{1f}\"\\/\u{7f}é😀")),
        (
            "a",
            Json::Arr(vec![Json::num(1), Json::Null, Json::obj([])]),
        ),
    ]);
    assert_eq!(parse(&value.encode()), Ok(value));
}

#[test]
fn parses_escapes_including_surrogate_pairs() {
    let value = parse(r#" {"k" : "\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\" } "#).expect("parse");
    assert_eq!(
        value.get("k").and_then(Json::as_str),
        Some("é😀/\u{8}\u{c}\n\r\t\"\\")
    );
}

#[test]
fn numbers_keep_their_text_and_only_whole_ones_are_u64() {
    let value = parse(r#"[0, -1, 12.5e-3, 1E9, 18446744073709551616]"#).expect("parse");
    let items = value.as_array().expect("array");
    assert_eq!(items[0].as_u64(), Some(0));
    assert_eq!(items[1].as_u64(), None);
    assert_eq!(items[2], Json::Num("12.5e-3".into()));
    assert_eq!(items[3].as_u64(), None);
    assert_eq!(items[4].as_u64(), None, "past u64::MAX");
}

#[test]
fn rejects_malformed_text() {
    for bad in [
        "",
        "{",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        "[1 2]",
        "01",
        "1.",
        "-",
        "1e",
        "tru",
        r#""abc"#,
        "\"a\u{1}\"",
        r#""\x""#,
        r#""\u12g4""#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83d\u0041""#,
        r#"{"a":1,"a":2}"#,
        "{} {}",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(100_000);
    assert!(parse(&deep).is_err());
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
}

#[test]
fn errors_name_the_byte_offset() {
    assert_eq!(
        parse(r#"{"a":1 "b":2}"#),
        Err("expected ',' or '}' at byte 7".to_owned())
    );
}
