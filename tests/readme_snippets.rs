//! `README.md` shows what the tests run: each example is
//! the verbatim content of a file that is compiled or run elsewhere
//! (`tests/c_abi.rs`, `tests/python_binding.rs`, `tests/php_binding.rs`),
//! and its status table lists every status of the header with its number.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
}

#[test]
fn every_example_is_a_tested_file_verbatim() {
    let snippets = read("README.md");
    for (fence, file) in [
        ("```c\n", "tests/c/readme_example.c"),
        ("```python\n", "bindings/python/tests/readme_example.py"),
        ("```php\n", "bindings/php/tests/readme_example.php"),
    ] {
        let block = format!("{fence}{}```\n", read(file));
        assert!(
            snippets.contains(&block),
            "README.md does not hold {file} verbatim in a {} block",
            fence.trim()
        );
    }
}

#[test]
fn the_status_table_matches_the_header() {
    let snippets = read("README.md");
    let header = read("include/authkv.h");
    let mut statuses = 0;
    for line in header.lines() {
        let Some((name, code)) = line.trim().trim_end_matches(',').split_once(" = ") else {
            continue;
        };
        if !name.starts_with("AUTHKV_") || code.parse::<u32>().is_err() {
            continue;
        }
        let row = format!("| `{name}` | {code} |");
        assert!(snippets.contains(&row), "the status table lacks {row}");
        statuses += 1;
    }
    assert_eq!(statuses, 30, "statuses in include/authkv.h");
}
