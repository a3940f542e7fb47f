//! An RFC 4180 CSV reader: comma-separated fields, records ended by CRLF or
//! LF, fields optionally in double quotes (where `""` is a quote and commas
//! and line breaks are data). Each record carries the line it starts on, and
//! a malformed record is reported without losing the ones after it.

/// One field, and whether it was quoted: an unquoted `NULL` is SQL's NULL,
/// a quoted one is text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field's text, quotes removed and `""` unescaped.
    pub text: String,
    /// Whether the field was in double quotes.
    pub quoted: bool,
}

/// One record and the line (1-based) it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The line the record starts on.
    pub line: usize,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// A record that could not be read, by the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    /// The line the record starts on.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// Split `text` into records. Completely empty lines are skipped.
pub fn records(text: &str) -> Vec<Result<Record, BadRecord>> {
    let mut reader = Reader {
        text,
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    while reader.pos < text.len() {
        if let Some(record) = reader.record() {
            out.push(record);
        }
    }
    out
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consume a line break (LF or CRLF) at the cursor, if there is one.
    fn line_break(&mut self) -> bool {
        let rest = &self.text.as_bytes()[self.pos..];
        let len = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            1
        } else {
            return false;
        };
        self.pos += len;
        self.line += 1;
        true
    }

    /// Skip the rest of a broken record's line, so the next one can be read.
    fn skip_line(&mut self) {
        while self.pos < self.text.len() && !self.line_break() {
            self.pos += 1;
        }
    }

    /// The next record, or `None` for an empty line.
    fn record(&mut self) -> Option<Result<Record, BadRecord>> {
        let line = self.line;
        if self.line_break() {
            return None;
        }
        let mut fields = Vec::new();
        loop {
            let field = if self.peek() == Some(b'"') {
                self.quoted(line)
            } else {
                self.unquoted(line)
            };
            match field {
                Ok(field) => fields.push(field),
                Err(bad) => {
                    self.skip_line();
                    return Some(Err(bad));
                }
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                None => return Some(Ok(Record { line, fields })),
                Some(_) => {
                    if self.line_break() {
                        return Some(Ok(Record { line, fields }));
                    }
                    let bad = BadRecord {
                        line,
                        message: format!("field {} has text after its closing quote", fields.len()),
                    };
                    self.skip_line();
                    return Some(Err(bad));
                }
            }
        }
    }

    fn unquoted(&mut self, line: usize) -> Result<Field, BadRecord> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b',' | b'\n' => break,
                b'\r' if self.text.as_bytes().get(self.pos + 1) == Some(&b'\n') => break,
                b'"' => {
                    return Err(BadRecord {
                        line,
                        message: "a double quote inside an unquoted field (quote the field and \
                                  double the quote)"
                            .into(),
                    });
                }
                _ => self.pos += 1,
            }
        }
        Ok(Field {
            text: self.text[start..self.pos].to_owned(),
            quoted: false,
        })
    }

    fn quoted(&mut self, line: usize) -> Result<Field, BadRecord> {
        self.pos += 1; // the opening quote
        let mut text = String::new();
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(BadRecord {
                        line,
                        message: "a quoted field is never closed".into(),
                    });
                }
                Some(b'"') => {
                    // Runs end at ASCII bytes, so slicing is on char boundaries.
                    text.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    if self.peek() == Some(b'"') {
                        text.push('"');
                        self.pos += 1;
                        run = self.pos;
                    } else {
                        return Ok(Field { text, quoted: true });
                    }
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                }
                Some(_) => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(record: &Result<Record, BadRecord>) -> Vec<&str> {
        let record = record.as_ref().expect("a good record");
        record.fields.iter().map(|f| f.text.as_str()).collect()
    }

    #[test]
    fn reads_quoted_fields_with_commas_quotes_and_line_breaks() {
        let text = "id,name\r\n1,\"a, \"\"b\"\"\r\nc\"\n2,plain\n";
        let records = records(text);
        assert_eq!(records.len(), 3);
        assert_eq!(texts(&records[0]), ["id", "name"]);
        assert_eq!(texts(&records[1]), ["1", "a, \"b\"\r\nc"]);
        assert_eq!(records[2].as_ref().expect("record").line, 4);
        assert_eq!(texts(&records[2]), ["2", "plain"]);
    }

    #[test]
    fn marks_quoted_fields_and_keeps_empty_ones() {
        let records = records("NULL,\"NULL\",,\"\"");
        let record = records[0].as_ref().expect("record");
        let quoted: Vec<bool> = record.fields.iter().map(|f| f.quoted).collect();
        assert_eq!(quoted, [false, true, false, true]);
        assert_eq!(texts(&records[0]), ["NULL", "NULL", "", ""]);
    }

    #[test]
    fn skips_empty_lines_and_a_missing_final_line_break() {
        let records = records("a\n\n\r\nb");
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].as_ref().expect("record").line, 4);
    }

    #[test]
    fn a_broken_record_is_reported_by_line_and_the_next_one_still_read() {
        let records = records("a,b\nx\"y,z\n\"q\"r,s\nc,d\n\"open");
        assert_eq!(records.len(), 5);
        assert_eq!(texts(&records[0]), ["a", "b"]);
        assert_eq!(records[1].as_ref().map_err(|b| b.line), Err(2));
        assert_eq!(records[2].as_ref().map_err(|b| b.line), Err(3));
        assert_eq!(texts(&records[3]), ["c", "d"]);
        let last = records[4].as_ref().expect_err("unterminated");
        assert_eq!(last.line, 5);
        assert!(last.message.contains("never closed"));
    }

    #[test]
    fn keeps_non_ascii_text_whole() {
        let records = records("\"é,😀\",ü\n");
        assert_eq!(texts(&records[0]), ["é,😀", "ü"]);
    }
}
