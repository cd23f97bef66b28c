//! Flink SQL files parsed with a real SQL parser (`sqlparser`, generic dialect), statement by
//! statement, each with the file, line and column it starts at; a parse error names all three.
//!
//! The generic dialect takes what the seed writes: `WITH ('k' = 'v', ...)` options,
//! `PRIMARY KEY (...) NOT ENFORCED`, `TIMESTAMP(3)`, `DECIMAL(10, 2)`, backquoted identifiers.
//! What it does not take (a `WATERMARK FOR` clause, `ROW<...>`/`MAP<...>` types) is a parse
//! error at its line and column, never a silent split.

use sqlparser::ast::Statement;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// How deep an expression or query may nest: the parser refuses deeper input with an error
/// (its own counter; the guest has no stack growth to fall back on).
const RECURSION_LIMIT: usize = 64;

/// A place in a granted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file's path, relative to the pipeline directory.
    pub file: String,
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl Place {
    /// The same file at `line`/`column` (a span's start; line 0 means unknown: keep `self`).
    pub fn at(&self, line: u64, column: u64) -> Place {
        if line == 0 {
            return self.clone();
        }
        Place {
            file: self.file.clone(),
            line,
            column,
        }
    }
}

/// One parsed statement and where it starts.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Where the statement starts.
    pub place: Place,
    /// The statement.
    pub statement: Statement,
}

/// Parses every statement of `text`, the content of the granted file `file`. The error is
/// `file:line:column: what the parser expected`.
pub fn parse(file: &str, text: &str) -> Result<Vec<Parsed>, String> {
    let start = Place {
        file: file.to_string(),
        line: 1,
        column: 1,
    };
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(text)
        .map_err(|e| located(&start, &e))?;
    let mut out = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        let place = start.at(next.span.start.line, next.span.start.column);
        let statement = parser.parse_statement().map_err(|e| located(&place, &e))?;
        let after = parser.peek_token();
        if after.token != Token::SemiColon && after.token != Token::EOF {
            let at = start.at(after.span.start.line, after.span.start.column);
            return Err(format!(
                "{at}: expected `;` after the statement, found {}",
                after.token
            ));
        }
        out.push(Parsed { place, statement });
    }
    Ok(out)
}

/// The parser's error as `file:line:column: message`, the position taken from the message's
/// own ` at Line: L, Column: C` (else the statement's start).
fn located(statement: &Place, e: &ParserError) -> String {
    let (message, at) = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => split_location(m),
        ParserError::RecursionLimitExceeded => {
            (format!("nested deeper than {RECURSION_LIMIT} levels"), None)
        }
    };
    let place = match at {
        Some((line, column)) => statement.at(line, column),
        None => statement.clone(),
    };
    format!("{place}: {message}")
}

/// Splits `... at Line: L, Column: C` into the message and the position.
fn split_location(m: &str) -> (String, Option<(u64, u64)>) {
    let Some(i) = m.rfind(" at Line: ") else {
        return (m.to_string(), None);
    };
    let rest = &m[i + " at Line: ".len()..];
    let mut parts = rest.splitn(2, ", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse().ok());
    let column = parts.next().and_then(|c| c.trim().parse().ok());
    match (line, column) {
        (Some(l), Some(c)) => (m[..i].to_string(), Some((l, c))),
        _ => (m.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "-- Create a table\nCREATE TABLE orders (\n  order_id STRING,\n  price DECIMAL(10, 2),\n  order_time TIMESTAMP(3)\n) WITH (\n  'connector' = 'kafka'\n);\n\nINSERT INTO t SELECT order_id FROM orders;\n";

    #[test]
    fn statements_are_parsed_with_where_they_start() {
        let parsed = parse("sql/a.sql", SEED).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].place.to_string(), "sql/a.sql:2:1");
        assert_eq!(parsed[1].place.to_string(), "sql/a.sql:10:1");
        assert!(matches!(parsed[0].statement, Statement::CreateTable(_)));
        assert!(matches!(parsed[1].statement, Statement::Insert(_)));
    }

    #[test]
    fn flink_ddl_parses_primary_keys_backquotes_and_precise_types() {
        let sql = "CREATE TABLE `my-orders` (\n  `id` STRING,\n  ts TIMESTAMP(3),\n  PRIMARY KEY (`id`) NOT ENFORCED\n) WITH ('connector' = 'kafka');";
        let parsed = parse("a.sql", sql).unwrap();
        let text = parsed[0].statement.to_string();
        assert!(text.contains("PRIMARY KEY (`id`) NOT ENFORCED"), "{text}");
        assert!(text.contains("ts TIMESTAMP(3)"), "{text}");
        assert!(text.starts_with("CREATE TABLE `my-orders`"), "{text}");
    }

    #[test]
    fn a_parse_error_names_file_line_and_column() {
        let err = parse(
            "sql/bad.sql",
            "CREATE TABLE t (\n  a STRING,\n  b INT INT\n);",
        )
        .unwrap_err();
        assert!(err.starts_with("sql/bad.sql:3:9: "), "{err}");
        assert!(!err.contains("at Line"), "{err}");
        // A watermark is not taken by the generic dialect: refused where it stands.
        let err = parse(
            "w.sql",
            "CREATE TABLE t (\n  ts TIMESTAMP(3),\n  WATERMARK FOR ts AS ts\n);",
        )
        .unwrap_err();
        assert!(err.starts_with("w.sql:3:"), "{err}");
        // Two statements without a `;` between them.
        let err = parse(
            "x.sql",
            "INSERT INTO a SELECT 1 FROM b\nINSERT INTO a SELECT 2 FROM b",
        )
        .unwrap_err();
        assert!(err.starts_with("x.sql:2:"), "{err}");
        assert!(err.contains("expected `;` after the statement"), "{err}");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "INSERT INTO a SELECT {}1{} FROM b;",
            "(".repeat(500),
            ")".repeat(500)
        );
        let err = parse("deep.sql", &deep).unwrap_err();
        assert!(err.contains("nested deeper than 64 levels"), "{err}");
    }
}
