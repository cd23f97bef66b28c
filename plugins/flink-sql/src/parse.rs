//! Flink SQL files parsed with a real SQL parser (`sqlparser`, generic dialect), statement by
//! statement, each with the file, line and column it starts at; a parse error names all three.
//!
//! The generic dialect takes what the seed writes: `WITH ('k' = 'v', ...)` options,
//! `PRIMARY KEY (...) NOT ENFORCED`, `TIMESTAMP(3)`, `DECIMAL(10, 2)`, backquoted identifiers.
//! [`crate::dialect`] adds the Flink DDL it does not read (watermarks, computed and metadata
//! columns, `ROW`/`MAP`/`MULTISET`/`ARRAY` types, temporal joins). What neither reads is a
//! parse error at its line and column, never a silent split.

use crate::dialect::FlinkDialect;
use sqlparser::ast::Statement;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

/// How deep an expression or query may nest: the parser refuses deeper input with an error
/// (its own counter; the guest has no stack growth to fall back on).
const RECURSION_LIMIT: usize = 64;

/// How many operators an expression may chain (`a + b + ... `, `NOT NOT ...`, nested levels
/// adding up): the parser builds such a chain as a tree as deep as it is long, which printing,
/// visiting and dropping then walk recursively, and the guest's stack is fixed.
const OPERATOR_LIMIT: usize = 500;

/// How long an identifier may be: Flink's parser refuses longer ones.
const IDENTIFIER_LIMIT: usize = 256;

/// What an error shows instead of a string literal: a literal may hold a secret (a password
/// in `'properties.sasl.jaas.config'`), and errors are printed and logged.
const LITERAL: &str = "'…'";

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

/// [`parse_at_most`] with the whole of [`MAX_STATEMENTS`]: what the tests parse.
#[cfg(test)]
pub fn parse(file: &str, text: &str) -> Result<Vec<Parsed>, String> {
    parse_at_most(file, text, MAX_STATEMENTS)
}

/// How many statements a render takes: each is a FlinkStatement Argo CD syncs, and every
/// parsed statement is held at once (a larger set is several pipelines).
pub const MAX_STATEMENTS: usize = 1000;

/// Parses every statement of `text`, the content of the granted file `file`, refusing more
/// than `limit` statements (what the render has left of [`MAX_STATEMENTS`]) before it parses
/// them all: each parsed statement costs memory. The error is
/// `file:line:column: what the parser expected`.
pub fn parse_at_most(file: &str, text: &str, limit: usize) -> Result<Vec<Parsed>, String> {
    let start = Place {
        file: file.to_string(),
        line: 1,
        column: 1,
    };
    if let Some(at) = lone_carriage_return(text) {
        let at = start.at(at.0, at.1);
        return Err(format!(
            "{at}: a carriage return that is not followed by a line feed: Flink ends a `--` \
             comment there and this parser does not, so the two would read different SQL; \
             end lines with LF or CRLF"
        ));
    }
    let dialect = FlinkDialect::default();
    let mut tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|e| {
            let at = start.at(e.location.line, e.location.column);
            format!("{at}: {}", unquoted(&e.message))
        })?;
    scan(&start, &tokens, &Marks::of(text))?;
    index_words_as_names(&mut tokens);
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    let mut out = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        let place = start.at(next.span.start.line, next.span.start.column);
        if out.len() >= limit {
            return Err(format!(
                "{place}: more than {MAX_STATEMENTS} statements in the SQL granted; a render \
                 takes at most {MAX_STATEMENTS} (each is an object Argo CD syncs): split them \
                 into several pipelines"
            ));
        }
        let statement = parser
            .parse_statement()
            .map_err(|e| located(&place, &e, text))?;
        watermarks(&start, &statement, &dialect)?;
        // A missing `;` first: the next statement's first word would be read as an alias.
        let after = parser.peek_token();
        if after.token != Token::SemiColon && after.token != Token::EOF {
            let at = start.at(after.span.start.line, after.span.start.column);
            return Err(format!(
                "{at}: expected `;` after the statement, found {}",
                shown(&after.token)
            ));
        }
        crate::check::statement(&place, &statement)?;
        out.push(Parsed { place, statement });
    }
    Ok(out)
}

/// Makes `KEY`, `INDEX`, `FULLTEXT` and `SPATIAL` names where a list item starts with one
/// and a word follows (`(key STRING, ...)`): the generic dialect reads them there as MySQL's
/// index definitions (`KEY idx (a)`), Flink as the column names they are (none is reserved
/// in Flink; its only table constraints are `PRIMARY KEY`, `UNIQUE` and `CONSTRAINT`).
fn index_words_as_names(tokens: &mut [TokenWithSpan]) {
    let seen: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    for w in seen.windows(3) {
        let starts_item = matches!(tokens[w[0]].token, Token::LParen | Token::Comma);
        let word_follows = matches!(tokens[w[2]].token, Token::Word(_));
        if let Token::Word(word) = &mut tokens[w[1]].token
            && starts_item
            && word_follows
            && word.quote_style.is_none()
            && matches!(
                word.keyword,
                Keyword::KEY | Keyword::INDEX | Keyword::FULLTEXT | Keyword::SPATIAL
            )
        {
            word.keyword = Keyword::NoKeyword;
        }
    }
}

/// Checks the watermarks `statement` declared: at most one, in a CREATE TABLE, for one of
/// its columns (Flink refuses the rest when the statement runs; Git should hear it first).
fn watermarks(start: &Place, statement: &Statement, dialect: &FlinkDialect) -> Result<(), String> {
    let found = dialect.take_watermarks();
    let Some(first) = found.first() else {
        return Ok(());
    };
    let at = |w: &crate::dialect::Watermark| start.at(w.span.start.line, w.span.start.column);
    let Statement::CreateTable(table) = statement else {
        return Err(format!(
            "{}: a WATERMARK is declared in CREATE TABLE only",
            at(first)
        ));
    };
    if let Some(second) = found.get(1) {
        return Err(format!(
            "{}: a second WATERMARK: a table takes one (Flink refuses more)",
            at(second)
        ));
    }
    let declared = table
        .columns
        .iter()
        .any(|c| c.name.value == first.column.value && !crate::dialect::is_watermark(c));
    if !declared {
        return Err(format!(
            "{}: WATERMARK FOR {}: the table declares no column `{}`",
            at(first),
            first.column,
            first.column.value
        ));
    }
    Ok(())
}

/// Refuses, before the parser reads them, what it would take but not keep faithfully or
/// could not bound: a character the host cannot return (DEL, C1 controls, U+FFFE/U+FFFF)
/// or an invisible one (zero-width, bidirectional controls) outside comments, a control
/// character in an identifier, an optimizer hint where the parser drops it (a table hint
/// `/*+ OPTIONS(...) */`: only hints right after SELECT or INSERT are kept), an identifier
/// longer than Flink takes ([`IDENTIFIER_LIMIT`]), and a chain of more than
/// [`OPERATOR_LIMIT`] operators (or set operations). Each error names the file, line and
/// column.
fn scan(start: &Place, tokens: &[TokenWithSpan], marks: &Marks) -> Result<(), String> {
    // Operators chained at each parenthesis level; their sum is how deep the tree gets.
    let mut levels: Vec<usize> = vec![0];
    let mut chained = 0usize;
    // Set operations (UNION, ...) in the statement: the parser folds them into a tree too,
    // across the commas of the select lists, so they are counted apart and not per level.
    let mut set_operations = 0usize;
    // The last token that is not whitespace or a comment.
    let mut previous: Option<&Token> = None;
    for t in tokens {
        let at = || start.at(t.span.start.line, t.span.start.column);
        match &t.token {
            Token::Whitespace(Whitespace::MultiLineComment(c))
            | Token::Whitespace(Whitespace::SingleLineComment { comment: c, .. }) => {
                if is_hint(c) && !keeps_hints(previous) {
                    return Err(format!(
                        "{}: an optimizer hint here (a table hint such as `/*+ OPTIONS(...) */`) \
                         would be dropped by the parser: set table options in the table's \
                         `WITH (...)`; hints are kept only right after SELECT or INSERT",
                        at()
                    ));
                }
                // A kept hint is copied into the statement: it is held to the rules of SQL
                // outside comments.
                if is_hint(c)
                    && let Some(bad) = c
                        .chars()
                        .find(|&c| unreturnable(c) || invisible(c) || control(c))
                {
                    return Err(format!(
                        "{}: the hint holds the character U+{:04X} (a control, invisible, or one \
                         the YAML readers cannot take back); a hint is copied into the \
                         statement, so remove it",
                        at(),
                        bad as u32
                    ));
                }
                if is_hint(c)
                    && let Some(why) = hint_problem(c)
                {
                    return Err(format!("{}: {why}", at()));
                }
                continue;
            }
            Token::Whitespace(Whitespace::Space)
                if marks
                    .odd_spaces
                    .contains(&(t.span.start.line, t.span.start.column)) =>
            {
                return Err(format!(
                    "{}: a space character other than ' ', tab or a line break (a no-break \
                     space?) between tokens: Flink reads it as part of a name; write a space",
                    at()
                ));
            }
            Token::Whitespace(_) => continue,
            token => {
                if let Some(why) = foreign(token, marks, t) {
                    return Err(format!("{}: {why}", at()));
                }
            }
        }
        let text = match &t.token {
            Token::Word(w) => w.value.clone(),
            other => other.to_string(),
        };
        if let Some(c) = text
            .chars()
            .find(|&c| unreturnable(c) || invisible(c) || control(c))
        {
            return Err(format!(
                "{}: the character U+{:04X} (invisible, or one the YAML readers cannot take \
                 back) is not taken in SQL outside comments; remove it",
                at(),
                c as u32
            ));
        }
        if let Token::Word(w) = &t.token
            && let Some(c) = w.value.chars().find(|c| c.is_control())
        {
            return Err(format!(
                "{}: the identifier holds the control character U+{:04X}; remove it",
                at(),
                c as u32
            ));
        }
        if let Token::Word(w) = &t.token
            && w.value.chars().count() > IDENTIFIER_LIMIT
        {
            return Err(format!(
                "{}: an identifier of {} characters: Flink takes identifiers of at most \
                 {IDENTIFIER_LIMIT}",
                at(),
                w.value.chars().count()
            ));
        }
        if is_set_operator(&t.token) {
            set_operations += 1;
            if set_operations > OPERATOR_LIMIT {
                return Err(format!(
                    "{}: a query chains more than {OPERATOR_LIMIT} set operations (UNION, \
                     INTERSECT, EXCEPT); split it (for example into views)",
                    at()
                ));
            }
        }
        let operator = is_operator(&t.token);
        if operator {
            if let Some(top) = levels.last_mut() {
                *top += 1;
            }
            chained += 1;
            if chained > OPERATOR_LIMIT {
                return Err(format!(
                    "{}: an expression chains more than {OPERATOR_LIMIT} operators; split \
                     it (for example into a view)",
                    at()
                ));
            }
        }
        match &t.token {
            // A subscript (`a[1]`) counted above at the level it applies to; inside it, a
            // level of its own, like a parenthesis.
            Token::LParen | Token::LBracket => levels.push(0),
            Token::RParen | Token::RBracket => {
                chained = chained.saturating_sub(levels.pop().unwrap_or(0));
                if levels.is_empty() {
                    levels.push(0);
                }
            }
            Token::Comma => {
                if let Some(top) = levels.last_mut() {
                    chained = chained.saturating_sub(*top);
                    *top = 0;
                }
            }
            Token::SemiColon => {
                levels = vec![0];
                chained = 0;
                set_operations = 0;
            }
            _ => {}
        }
        previous = Some(&t.token);
    }
    Ok(())
}

/// The line and column (from 1) of the first carriage return not followed by a line feed.
fn lone_carriage_return(text: &str) -> Option<(u64, u64)> {
    let bytes = text.as_bytes();
    let i = bytes
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))?;
    let before = &text[..i];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count() as u64)
        + 1;
    Some((line, column))
}

/// Where the text has what its tokens no longer show: a space character other than `' '`,
/// tab and line breaks (the tokenizer takes any Unicode space as one), and a `0x` number
/// (which it reads as the binary literal `X'..'`). Positions are (line, column) from 1.
#[derive(Debug, Default)]
struct Marks {
    odd_spaces: std::collections::HashSet<(u64, u64)>,
    hex_numbers: std::collections::HashSet<(u64, u64)>,
}

impl Marks {
    fn of(text: &str) -> Marks {
        let mut marks = Marks::default();
        let (mut line, mut column) = (1u64, 1u64);
        let mut previous = '\n';
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n' | '\r') {
                marks.odd_spaces.insert((line, column));
            }
            if c == '0'
                && matches!(chars.peek(), Some('x' | 'X'))
                && !(previous.is_alphanumeric() || previous == '_')
            {
                marks.hex_numbers.insert((line, column));
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
            previous = c;
        }
        marks
    }
}

/// Why a token is not Flink SQL, if it is not: what the generic dialect reads from other
/// dialects, which Flink refuses or the parser would print back as other SQL.
fn foreign(token: &Token, marks: &Marks, t: &TokenWithSpan) -> Option<&'static str> {
    Some(match token {
        Token::Word(w) if w.quote_style == Some('`') && w.value.is_empty() => {
            "an empty name (``) is not Flink SQL: Flink's lexer refuses it"
        }
        // `@@var` and `@name` are refused as variables where they are read.
        Token::Word(w)
            if w.quote_style.is_none()
                && !w.value.starts_with('@')
                && !w
                    .value
                    .chars()
                    .all(|c| calcite_letter(c) || calcite_digit(c)) =>
        {
            "an unquoted name holding a character Flink's lexer ends a name at (such as `@` or \
             `#`, or a full-width letter): backquote it"
        }
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::MINUS => {
            "MINUS is reserved in Flink SQL and not its set operator: write EXCEPT, or \
             backquote a name (`minus`)"
        }
        Token::Word(w) if w.quote_style == Some('"') => {
            "a double-quoted name: Flink quotes names with backquotes (`name`) and strings with \
             single quotes"
        }
        Token::DoubleQuotedString(_) => {
            "a double-quoted string: Flink quotes strings with single quotes ('text')"
        }
        Token::DoubleColon => "`::` is not Flink SQL: write CAST(x AS type)",
        Token::DoubleEq => "`==` is not Flink SQL: write `=`",
        Token::DuckIntDiv => {
            "`//` starts a comment in Flink, as `--` does, and this parser would read a \
             division: write `--` for a comment, `/` to divide"
        }
        Token::EscapedStringLiteral(_) => {
            "an E'...' string is not Flink SQL: write the characters, or U&'\\0041' escapes"
        }
        Token::NationalStringLiteral(_) => "an N'...' string is not Flink SQL: write '...'",
        Token::HexStringLiteral(_)
            if marks
                .hex_numbers
                .contains(&(t.span.start.line, t.span.start.column)) =>
        {
            "a 0x number is not Flink SQL (the parser would make it the binary literal X'..'): \
             write the number in decimal"
        }
        _ => return None,
    })
}

/// A C0 control character other than tab and line breaks: Flink takes none in SQL, and in a
/// statement's text it truncates (NUL) or drives a terminal (ESC) wherever it is shown.
fn control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether Calcite's lexer (Flink 1.19's) takes `c` as a letter of an unquoted name: its
/// `LETTER` ranges, `$` and `_` included.
fn calcite_letter(c: char) -> bool {
    matches!(c,
        '$' | 'A'..='Z' | '_' | 'a'..='z' | '\u{c0}'..='\u{d6}' | '\u{d8}'..='\u{f6}'
        | '\u{f8}'..='\u{1fff}' | '\u{3040}'..='\u{318f}' | '\u{3300}'..='\u{337f}'
        | '\u{3400}'..='\u{3d2d}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// Whether Calcite's lexer takes `c` as a digit of an unquoted name (its `DIGIT` ranges).
fn calcite_digit(c: char) -> bool {
    matches!(c,
        '0'..='9' | '\u{660}'..='\u{669}' | '\u{6f0}'..='\u{6f9}' | '\u{966}'..='\u{96f}'
        | '\u{9e6}'..='\u{9ef}' | '\u{a66}'..='\u{a6f}' | '\u{ae6}'..='\u{aef}'
        | '\u{b66}'..='\u{b6f}' | '\u{be7}'..='\u{bef}' | '\u{c66}'..='\u{c6f}'
        | '\u{ce6}'..='\u{cef}' | '\u{d66}'..='\u{d6f}' | '\u{e50}'..='\u{e59}'
        | '\u{ed0}'..='\u{ed9}' | '\u{1040}'..='\u{1049}')
}

/// Whether a comment is an optimizer hint to the parser (`/*+ ... */`, `--+ ...`): its text
/// up to a `+` is letters and digits only (the parser's own test).
fn is_hint(comment: &str) -> bool {
    comment
        .split_once('+')
        .is_some_and(|(before, _)| before.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Why a kept hint is not one Flink's parser reads, if it is not: its syntax (Calcite's
/// `NAME [(options)]`, comma-separated, the options all names, all literals or all
/// `key = 'value'`), or a reserved word unquoted where Flink reads a name.
fn hint_problem(comment: &str) -> Option<String> {
    let (_, body) = comment.split_once('+')?;
    let tokens: Vec<Token> = Tokenizer::new(&FlinkDialect::default(), body)
        .tokenize()
        .map(|t| {
            t.into_iter()
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .collect()
        })
        .unwrap_or_default();
    if tokens.is_empty() || !well_formed_hints(&tokens) {
        return Some(
            "the hint is not Flink's hint syntax: `/*+ NAME(option, ...), ... */`, the options \
             all names, all literals, or all `key = 'value'`"
                .to_string(),
        );
    }
    tokens.into_iter().find_map(|t| match t {
        Token::Word(w) if w.quote_style.is_none() && crate::reserved::is_reserved(&w.value) => {
            Some(format!(
                "the hint names `{0}`, a reserved word in Flink SQL: a hint's names are read as \
                 names are, so backquote it (`{0}`)",
                w.value
            ))
        }
        _ => None,
    })
}

/// What a hint's options are; one hint's are all of one kind.
#[derive(PartialEq, Clone, Copy)]
enum HintOption {
    Name,
    Literal,
    KeyValue,
}

/// Whether `tokens` (no whitespace) are hints as Calcite reads them.
fn well_formed_hints(tokens: &[Token]) -> bool {
    let mut t = tokens.iter().peekable();
    loop {
        let Some(Token::Word(_)) = t.next() else {
            return false;
        };
        if t.next_if_eq(&&Token::LParen).is_some()
            && t.next_if_eq(&&Token::RParen).is_none()
            && !well_formed_options(&mut t)
        {
            return false;
        }
        match t.next() {
            None => return true,
            Some(Token::Comma) => continue,
            Some(_) => return false,
        }
    }
}

/// Whether a hint's options, after its `(`, are of one kind, comma-separated, and closed by
/// `)` (which this consumes).
fn well_formed_options<'a>(t: &mut std::iter::Peekable<impl Iterator<Item = &'a Token>>) -> bool {
    let mut kind = None;
    loop {
        let this = match t.next() {
            Some(Token::Word(_) | Token::SingleQuotedString(_))
                if t.next_if_eq(&&Token::Eq).is_some() =>
            {
                match t.next() {
                    Some(Token::SingleQuotedString(_)) => HintOption::KeyValue,
                    _ => return false,
                }
            }
            Some(Token::Word(_)) => HintOption::Name,
            Some(Token::SingleQuotedString(_) | Token::Number(..)) => HintOption::Literal,
            _ => return false,
        };
        if *kind.get_or_insert(this) != this {
            return false;
        }
        match t.next() {
            Some(Token::Comma) => continue,
            Some(Token::RParen) => return true,
            _ => return false,
        }
    }
}

/// Whether the parser keeps a hint that follows `previous` (it reads hints only there).
fn keeps_hints(previous: Option<&Token>) -> bool {
    matches!(previous, Some(Token::Word(w))
        if w.quote_style.is_none()
            && (w.value.eq_ignore_ascii_case("select") || w.value.eq_ignore_ascii_case("insert")))
}

/// An operator that makes the expression tree one level deeper: every token the parser may
/// read as an infix, prefix or postfix operator (and fold, in a loop, into a tree as deep as
/// the chain is long: `x AT TIME ZONE 'UTC' AT TIME ZONE ...`, `a[1][1]...`), that is every
/// token but names, numbers, string literals and punctuation, and the keywords that make
/// operators.
fn is_operator(token: &Token) -> bool {
    match token {
        Token::Word(w) => {
            w.quote_style.is_none()
                && [
                    "and", "or", "xor", "not", "is", "like", "ilike", "rlike", "regexp", "similar",
                    "between", "in", "at", "div", "member", "overlaps", "collate", "escape",
                    "operator",
                ]
                .iter()
                .any(|k| w.value.eq_ignore_ascii_case(k))
        }
        Token::Whitespace(_)
        | Token::EOF
        | Token::Number(..)
        | Token::LParen
        | Token::RParen
        | Token::Comma
        | Token::SemiColon
        | Token::Period
        | Token::RBracket => false,
        // Counted at the level it subscripts (`a[1][1]`); see `scan`.
        Token::LBracket => true,
        token => !is_literal(token),
    }
}

/// A set operator: the parser folds `q UNION q UNION ...` into a tree as deep as the chain.
fn is_set_operator(token: &Token) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none()
        && ["union", "intersect", "except", "minus"]
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k)))
}

/// A string literal of any kind (its content may be a secret: see [`LITERAL`]).
fn is_literal(token: &Token) -> bool {
    matches!(
        token,
        Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::QuoteDelimitedStringLiteral(_)
            | Token::NationalQuoteDelimitedStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::CopyData { .. }
    )
}

/// A token as an error shows it: a string literal as [`LITERAL`], not its content.
fn shown(token: &Token) -> String {
    if is_literal(token) {
        return LITERAL.to_string();
    }
    unquoted(&token.to_string())
}

/// SQL text (or a message quoting it) as an error may show it: each string literal replaced
/// by [`LITERAL`], but for one or two punctuation characters (the parser's `Expected: ','`).
/// A literal is single-quoted (`''` inside is a quote; a prefix such as `X` or
/// `E` stays) or dollar-quoted (`$tag$...$tag$`); a backquoted name (`` ` `` doubled inside)
/// is kept as it is, quotes in it included; an unterminated literal runs to the end.
pub(crate) fn unquoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '`' => {
                let end = quoted_end(rest, '`');
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            '\'' => {
                let end = quoted_end(rest, '\'');
                // The parser quotes the tokens it expected (`Expected: ',' or ')'`): one or
                // two punctuation characters are shown, never a credential.
                let inside = rest[..end].trim_start_matches('\'').trim_end_matches('\'');
                if (1..=2).contains(&inside.chars().count())
                    && inside.chars().all(|c| c.is_ascii_punctuation())
                {
                    out.push_str(&rest[..end]);
                } else {
                    out.push_str(LITERAL);
                }
                rest = &rest[end..];
            }
            '$' if dollar_quoted_end(rest).is_some() => {
                out.push_str(LITERAL);
                rest = &rest[dollar_quoted_end(rest).unwrap_or(rest.len())..];
            }
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// Where the text quoted by `quote` that `text` starts with ends (past its closing quote; a
/// doubled quote is one inside): the end of `text` if it is not closed.
fn quoted_end(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            match chars.peek() {
                Some(&(_, next)) if next == quote => {
                    chars.next();
                }
                _ => return i + quote.len_utf8(),
            }
        }
    }
    text.len()
}

/// Where the dollar-quoted string `text` starts with ends (`$tag$...$tag$`, the tag letters,
/// digits and `_`, not starting with a digit), if it is one.
fn dollar_quoted_end(text: &str) -> Option<usize> {
    let body = &text[1..];
    let close = body.find('$')?;
    let tag = &body[..close];
    if tag.starts_with(|c: char| c.is_ascii_digit())
        || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    let delimiter = &text[..close + 2];
    let content = &text[delimiter.len()..];
    Some(match content.find(delimiter) {
        Some(i) => delimiter.len() + i + delimiter.len(),
        None => text.len(),
    })
}

/// A character the host refuses in what a plugin returns: the Go YAML readers cannot read it
/// back (DEL, the C1 controls, U+FFFE, U+FFFF).
fn unreturnable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// An invisible formatting character: zero-width and bidirectional controls, which make two
/// names look the same or text read other than it runs.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// The parser's error as `file:line:column: message`, the position taken from the message's
/// own ` at Line: L, Column: C` (else the statement's start). No string literal of `text` (the
/// file) is shown: the parser prints tokens as they were read (a `'` inside not doubled), so
/// each literal's printed form is replaced first, then whatever else [`unquoted`] finds.
fn located(statement: &Place, e: &ParserError, text: &str) -> String {
    let (message, at) = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            let (message, at) = split_location(m);
            (unquoted(&without_literals(&message, text)), at)
        }
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

/// `message` with the printed form of each string literal in `text` replaced by [`LITERAL`].
fn without_literals(message: &str, text: &str) -> String {
    let dialect = FlinkDialect::default();
    let Ok(tokens) = Tokenizer::new(&dialect, text).tokenize() else {
        return message.to_string();
    };
    let mut literals: Vec<String> = tokens
        .iter()
        .filter(|t| is_literal(t))
        .map(ToString::to_string)
        .filter(|l| !l.is_empty() && message.contains(l.as_str()))
        .collect();
    // The longest first: a literal's printed form may hold another's.
    literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
    let mut out = message.to_string();
    for literal in literals {
        out = out.replace(&literal, LITERAL);
    }
    out
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
    fn key_and_index_are_column_names_not_index_definitions() {
        let sql = "CREATE TABLE t (key STRING, index INT, PRIMARY KEY (key) NOT ENFORCED);";
        let parsed = parse("k.sql", sql).unwrap();
        assert_eq!(
            parsed[0].statement.to_string(),
            "CREATE TABLE t (key STRING, index INT, PRIMARY KEY (key) NOT ENFORCED)"
        );
        let Statement::CreateTable(t) = &parsed[0].statement else {
            panic!("{parsed:?}");
        };
        assert_eq!(t.columns.len(), 2);
        assert_eq!(t.constraints.len(), 1);
    }

    #[test]
    fn unquoted_names_take_the_letters_flinks_lexer_takes() {
        // As Flink 1.19.1's parser reads them: these are names, the others lexical errors.
        let sql = "INSERT INTO t SELECT id AS café, q AS 数量, x AS Ωmega, y AS a$b FROM o;";
        assert!(parse("n.sql", sql).is_ok());
        for name in ["\u{ff56}alue", "한국", "a@b", "a#b"] {
            let sql = format!("INSERT INTO t SELECT id AS {name} FROM o;");
            let err = parse("n.sql", &sql).unwrap_err();
            assert!(
                err.starts_with("n.sql:1:28: an unquoted name"),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn a_map_constructor_prints_as_flink_reads_it() {
        let sql = "INSERT INTO t SELECT MAP['a', 1, 'b', 2]['b'], MAP[a, ARRAY[MAP[1, 2]]] FROM o;";
        let parsed = parse("m.sql", sql).unwrap();
        // Checked with Flink 1.19.1's parser: a space between MAP and `[` is the same.
        assert_eq!(
            parsed[0].statement.to_string(),
            "INSERT INTO t SELECT MAP ['a', 1, 'b', 2]['b'], MAP [a, ARRAY[MAP [1, 2]]] FROM o"
        );
    }

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
        // A watermark for a column the table does not declare, or a second one.
        let err = parse(
            "w.sql",
            "CREATE TABLE t (\n  ts TIMESTAMP(3),\n  WATERMARK FOR tz AS ts\n);",
        )
        .unwrap_err();
        assert!(err.starts_with("w.sql:3:3: "), "{err}");
        assert!(err.contains("no column `tz`"), "{err}");
        let err = parse(
            "w.sql",
            "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts,\n WATERMARK FOR ts AS ts);",
        )
        .unwrap_err();
        assert!(err.starts_with("w.sql:2:2: a second WATERMARK"), "{err}");
        // A table's watermark is checked against its own columns, statement by statement.
        let err = parse(
            "w.sql",
            "CREATE TABLE a (ts TIMESTAMP(3));\nCREATE TABLE b (x INT, WATERMARK FOR ts AS ts);",
        )
        .unwrap_err();
        assert!(err.starts_with("w.sql:2:24: "), "{err}");
        // A column named `watermark`, backquoted, is a column.
        let ok = parse(
            "w.sql",
            "CREATE TABLE a (`WATERMARK` TIMESTAMP(3), WATERMARK FOR `WATERMARK` AS `WATERMARK`);",
        )
        .unwrap();
        assert_eq!(
            ok[0].statement.to_string(),
            "CREATE TABLE a (`WATERMARK` TIMESTAMP(3), WATERMARK FOR `WATERMARK` AS `WATERMARK`)"
        );
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

    #[test]
    fn a_long_operator_chain_is_a_located_error_not_a_stack_overflow() {
        let chain = |n: usize| {
            format!(
                "INSERT INTO a\nSELECT q{} FROM b;",
                " + q".repeat(n.saturating_sub(1))
            )
        };
        // 5,000 terms once overflowed the guest's stack; now refused where the chain passes
        // the bound, before the parser builds the tree.
        let err = parse("sum.sql", &chain(5000)).unwrap_err();
        assert!(err.starts_with("sum.sql:2:"), "{err}");
        assert!(err.contains("chains more than 500 operators"), "{err}");
        // Within the bound, and chains split by commas or across statements, parse.
        assert!(parse("sum.sql", &chain(500)).is_ok());
        let columns = format!(
            "INSERT INTO a SELECT {} FROM b;",
            vec!["q + q"; 2000].join(", ")
        );
        assert!(parse("cols.sql", &columns).is_ok());
        // Unary chains and parenthesised chains count too.
        let neg = format!("INSERT INTO a SELECT {}q FROM b;", "- ".repeat(5000));
        assert!(
            parse("neg.sql", &neg)
                .unwrap_err()
                .contains("chains more than")
        );
        // Groups side by side add only their own depth to the chain they are in...
        let side = format!(
            "INSERT INTO a SELECT {} FROM b;",
            vec![format!("({})", vec!["q"; 100].join(" + ")); 60].join(" + ")
        );
        assert!(parse("n.sql", &side).is_ok());
        // ...while groups inside groups add up: 60 levels of 10 operators each.
        let inside = format!(
            "INSERT INTO a SELECT {}q{} FROM b;",
            "q + q + q + q + q + q + q + q + q + q + (".repeat(60),
            ")".repeat(60)
        );
        let err = parse("n.sql", &inside).unwrap_err();
        assert!(err.contains("chains more than"), "{err}");
    }

    #[test]
    fn a_hint_the_parser_would_drop_is_refused_where_it_stands() {
        let hinted = "INSERT INTO orders\nSELECT id FROM orders /*+ OPTIONS('scan.startup.mode'='earliest-offset') */;";
        let err = parse("h.sql", hinted).unwrap_err();
        assert!(err.starts_with("h.sql:2:23: "), "{err}");
        assert!(err.contains("would be dropped"), "{err}");
        let err = parse(
            "h.sql",
            "INSERT INTO t /*+ OPTIONS('a'='b') */ SELECT id FROM o;",
        )
        .unwrap_err();
        assert!(err.starts_with("h.sql:1:15: "), "{err}");
        // A hint right after SELECT is kept in the statement's text; plain comments are not hints.
        let kept = parse(
            "k.sql",
            "INSERT INTO t SELECT /*+ BROADCAST(o) */ id /* + note */ FROM o;",
        )
        .unwrap();
        let text = kept[0].statement.to_string();
        assert!(text.contains("/*+ BROADCAST(o) */"), "{text}");
        // A kept hint's names are names: a reserved word is backquoted there too.
        for hint in [
            "BROADCAST(value)",
            "STATE_TTL(value = '1d')",
            "LOOKUP('table' = 'x', Year = 'k')",
        ] {
            let sql = format!("INSERT INTO t\nSELECT /*+ {hint} */ id FROM o;");
            let err = parse("r.sql", &sql).unwrap_err();
            assert!(err.starts_with("r.sql:2:8: the hint names `"), "{err}");
        }
        let quoted = "INSERT INTO t SELECT /*+ STATE_TTL(`value` = '1d', 'o' = '1h') */ id FROM o;";
        assert!(parse("q.sql", quoted).is_ok());
        // Calcite's hint syntax, as Flink 1.19.1's parser takes and refuses it.
        for hint in [
            "BROADCAST(o), SHUFFLE_HASH(o)",
            "NAME",
            "A()",
            "A(1)",
            "A('k' = 'v', k2 = 'v')",
        ] {
            let sql = format!("INSERT INTO t SELECT /*+ {hint} */ id FROM o;");
            assert!(parse("h.sql", &sql).is_ok(), "{hint}");
        }
        for hint in [
            "A(o.x)",
            "A(a b)",
            "A(a, 'b')",
            "A(k = 1)",
            "A(k = v)",
            "A((a))",
            "A(a",
            "A(a) B(b)",
            ", A",
            "",
        ] {
            let sql = format!("INSERT INTO t SELECT /*+ {hint} */ id FROM o;");
            let err = parse("h.sql", &sql).unwrap_err();
            assert!(err.contains("not Flink's hint syntax"), "{hint}: {err}");
        }
    }

    #[test]
    fn invisible_and_unreturnable_characters_are_located_errors() {
        for (sql, column) in [
            ("INSERT INTO t SELECT 'a\u{85}b' FROM o;", 22),
            ("INSERT INTO t SELECT '\u{7f}' FROM o;", 22),
            ("INSERT INTO `t\u{200b}` SELECT 1 FROM o;", 13),
            ("INSERT INTO `ord\u{202e}ers` SELECT 1 FROM o;", 13),
            ("INSERT INTO `a\nb` SELECT 1 FROM o;", 13),
        ] {
            let err = parse("c.sql", sql).unwrap_err();
            assert!(
                err.starts_with(&format!("c.sql:1:{column}: ")),
                "{sql:?}: {err}"
            );
        }
        // In a comment they are dropped with it, and harmless.
        assert!(
            parse(
                "c.sql",
                "-- a\u{85}\u{200b}\nINSERT INTO t SELECT 1 FROM o;"
            )
            .is_ok()
        );
    }

    #[test]
    fn no_error_shows_a_string_literal() {
        for sql in [
            // RT11-01: a missing `=` next to a credential.
            "CREATE TABLE t (a INT) WITH (\n  'properties.sasl.jaas.config' '...password=\"hunter2\";'\n);",
            "CREATE TABLE t (a INT) WITH ('k' = 'v')\n'hunter2';",
            "CREATE TABLE t (a INT) WITH ('k' 'it''s hunter2');",
            "CREATE TABLE t (a INT) WITH ('k' = 'v' 'hunter2''s');",
            "INSERT INTO t SELECT a FROM o WHERE a = 'x' 'hunter2';",
            "INSERT INTO t SELECT a FROM o WHERE a = 1 $$hunter2$$;",
            "INSERT INTO t SELECT a FROM o WHERE a = 1 X'AB' 'hunter2' B'0101';",
            "INSERT INTO t SELECT a FROM o WHERE a = 'hunter2",
            "CREATE TABLE t (a INT DEFAULT 'hunter2');",
            "CREATE TABLE t (a INT DEFAULT $$hunter2$$);",
            "CREATE TABLE t (a INT, CHECK (a <> 'hunter2'));",
            "CREATE TABLE t (a INT, CONSTRAINT c UNIQUE (a), CHECK (`it's` = 'hunter2'));",
            "INSERT INTO t SELECT a FROM o TIMESTAMP AS OF 'hunter2';",
        ] {
            let err = parse("s.sql", sql).unwrap_err();
            assert!(!err.contains("hunter2"), "{sql}: {err}");
            assert!(err.starts_with("s.sql:"), "{sql}: {err}");
        }
        let err = parse(
            "s.sql",
            "CREATE TABLE t (a INT) WITH (\n  'properties.sasl.jaas.config' '...password=\"hunter2\";'\n);",
        )
        .unwrap_err();
        assert_eq!(err, "s.sql:2:33: Expected: =, found: '…'");
    }

    #[test]
    fn literals_are_replaced_in_sql_text() {
        assert_eq!(
            unquoted("a = 'x''y' AND `it's` = $t$s'$t$ OR X'0F' || '' || $1 || 'open"),
            "a = '…' AND `it's` = '…' OR X'…' || '…' || $1 || '…'"
        );
        assert_eq!(unquoted("`a``b'` 'c'"), "`a``b'` '…'");
        // What the parser expected stays readable.
        assert_eq!(
            unquoted("Expected: ',' or ')', found: 'hunter2'"),
            "Expected: ',' or ')', found: '…'"
        );
        assert_eq!(shown(&Token::SingleQuotedString("it's".into())), "'…'");
        assert_eq!(shown(&Token::Comma), ",");
    }

    #[test]
    fn every_operator_form_counts_toward_the_bound() {
        // RT11-04: `AT TIME ZONE` and subscripts are folded into trees as deep as the chain.
        for (sql, name) in [
            (
                format!(
                    "INSERT INTO a\nSELECT x{} FROM b;",
                    " AT TIME ZONE 'UTC'".repeat(2000)
                ),
                "at",
            ),
            (
                format!("INSERT INTO a\nSELECT x{} FROM b;", "[1]".repeat(2000)),
                "subscript",
            ),
            (
                format!(
                    "INSERT INTO a\nSELECT x{} FROM b;",
                    " COLLATE c".repeat(2000)
                ),
                "collate",
            ),
            (
                format!("INSERT INTO a\nSELECT x{} FROM b;", " <=> x".repeat(2000)),
                "spaceship",
            ),
        ] {
            let err = parse("z.sql", &sql).unwrap_err();
            assert!(err.starts_with("z.sql:2:"), "{name}: {err}");
            assert!(
                err.contains("chains more than 500 operators"),
                "{name}: {err}"
            );
        }
        let unions = format!(
            "INSERT INTO a\nSELECT 1, 2{};",
            " UNION ALL SELECT 1, 2".repeat(2000)
        );
        let err = parse("u.sql", &unions).unwrap_err();
        assert!(err.contains("more than 500 set operations"), "{err}");
        // What the seed and Flink programs write still parses.
        assert!(parse("seed.sql", SEED).is_ok());
        let flink = "CREATE TABLE t (id STRING, m MAP<STRING, ARRAY<ROW<x INT NOT NULL>>>, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kafka', 'topic' = 'a');\nINSERT INTO t SELECT id, a[1][2], m['k'], CAST(x AS ARRAY<INT>) FROM o WHERE a IS NOT NULL AND b NOT BETWEEN 1 AND 2 OR c NOT LIKE 'x%' ESCAPE '!' UNION ALL SELECT * FROM o2;";
        assert!(parse("f.sql", flink).is_ok(), "{:?}", parse("f.sql", flink));
    }

    #[test]
    fn identifiers_are_at_most_256_characters() {
        // RT11-03
        let name = |n: usize| "a".repeat(n);
        for quote in ["", "`"] {
            let ok = format!("INSERT INTO {quote}{}{quote} SELECT 1 FROM o;", name(256));
            assert!(parse("i.sql", &ok).is_ok(), "{ok}");
            let long = format!("INSERT INTO t\nSELECT {quote}{}{quote} FROM o;", name(257));
            let err = parse("i.sql", &long).unwrap_err();
            assert!(err.starts_with("i.sql:2:8: "), "{err}");
            assert!(err.contains("at most 256"), "{err}");
        }
        // A long string is no identifier.
        let long = format!("INSERT INTO t SELECT '{}' FROM o;", name(600 * 1024));
        assert!(parse("i.sql", &long).is_ok());
    }
}
