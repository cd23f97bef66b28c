//! Flink's SQL dialect: sqlparser's generic dialect, plus the Flink DDL it does not read.
//!
//! The generic dialect takes most of what Flink writes, but not a table's `WATERMARK FOR`
//! clause, computed columns (`total AS price * quantity`), metadata columns (`ts
//! TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL`), Flink's composite types (`ROW<...>`,
//! `ROW(...)`, `MAP<K, V>`, `MULTISET<T>`, nested `ARRAY<...>`) or `TIMESTAMP(p) WITH LOCAL
//! TIME ZONE`; and it reads `ROW(x INT)` as a custom type with the arguments `x, INT`, which
//! would print back as other SQL. [`FlinkDialect`] reads each of them through the hooks
//! sqlparser gives a dialect, and otherwise is the generic dialect exactly: it says it *is*
//! the generic dialect (its `TypeId`), which is how sqlparser documents wrapping a dialect,
//! and forwards every method the generic dialect sets. A test parses a corpus both ways.
//!
//! What these forms become in the AST is made to print back as Flink reads it:
//! - a composite type is a custom type whose name is its whole text (`ROW<x INT, y STRING>`);
//! - `WATERMARK FOR ts AS expr` is a column named `WATERMARK` of the custom type `FOR ts AS
//!   expr`; the watermark itself is kept aside too ([`FlinkDialect::take_watermarks`]) so
//!   that the caller can check its column;
//! - a computed column `c AS expr` is a column of the custom type `AS expr`;
//! - `METADATA [FROM 'key'] [VIRTUAL]` is a dialect-specific column option.
//!
//! Every expression inside them is parsed by sqlparser (and so bounded by its recursion
//! limit) and held to [`crate::check`]'s rules as it is read; nesting of composite types is
//! bounded here ([`TYPE_DEPTH`]).

use sqlparser::ast::{
    Array, ColumnDef, ColumnOption, DataType, Expr, Ident, ObjectName, ObjectNamePart, Statement,
    Value, visit_expressions, visit_expressions_mut,
};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Word};
use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;

/// How deep composite types may nest (`ARRAY<ARRAY<...>>`): well past any schema, and far
/// below what the guest's fixed stack takes.
pub const TYPE_DEPTH: u32 = 16;

/// The prefix of a table argument (`TABLE orders`) in the AST.
const TABLE_ARGUMENT: &str = "TABLE";

/// The prefix of Flink's map constructor in the AST: `MAP['a', 1]` is `MAP` before the
/// array of its keys and values, printed `MAP ['a', 1]` (the same to Flink's lexer).
pub const MAP_CONSTRUCTOR: &str = "MAP";

/// A `WATERMARK FOR column AS expr` clause, as parsed.
#[derive(Debug, Clone)]
pub struct Watermark {
    /// Where `WATERMARK` stands.
    pub span: Span,
    /// The rowtime column it is for.
    pub column: Ident,
}

/// The generic dialect plus Flink's DDL (see the module comment).
#[derive(Debug, Default)]
pub struct FlinkDialect {
    /// How deep in composite types the parser is now.
    depth: Cell<u32>,
    /// The watermarks read since the last [`FlinkDialect::take_watermarks`].
    watermarks: RefCell<Vec<Watermark>>,
}

impl FlinkDialect {
    /// The watermarks read since the last call, in order.
    pub fn take_watermarks(&self) -> Vec<Watermark> {
        self.watermarks.take()
    }
}

/// Forwards the generic dialect's `fn name(&self) -> bool` settings.
macro_rules! generic {
    ($($name:ident),* $(,)?) => {
        $(fn $name(&self) -> bool { GenericDialect.$name() })*
    };
}

impl Dialect for FlinkDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        GenericDialect.is_identifier_part(ch)
    }

    // Every setting sqlparser 0.64's `GenericDialect` overrides (the version is pinned).
    generic!(
        supports_map_typedef_with_parentheses,
        supports_unicode_string_literal,
        supports_literal_prefix_in_qualified_name,
        supports_partition_by_after_order_by,
        supports_array_join_syntax,
        supports_group_by_expr,
        supports_group_by_with_modifier,
        supports_left_associative_joins_without_parens,
        supports_connect_by,
        supports_match_recognize,
        supports_pipe_operator,
        supports_start_transaction_modifier,
        supports_window_function_null_treatment_arg,
        supports_dictionary_syntax,
        supports_window_clause_named_window_reference,
        supports_parenthesized_set_variables,
        supports_select_wildcard_except,
        support_map_literal_syntax,
        allow_extract_custom,
        allow_extract_single_quotes,
        supports_extract_comma_syntax,
        supports_create_view_comment_syntax,
        supports_parens_around_table_factor,
        supports_values_as_table_factor,
        supports_create_index_with_clause,
        supports_sql_option_without_value,
        supports_explain_with_utility_options,
        supports_exclude_constraint,
        supports_limit_comma,
        supports_update_order_by,
        supports_from_first_select,
        supports_asc_desc_in_column_definition,
        supports_try_convert,
        supports_bitwise_shift_operators,
        supports_singular_value_keyword,
        supports_comma_join_constraint,
        supports_tilde_like_match_operator,
        supports_aggregate_order_by_with_empty_args,
        supports_in_table_expression,
        supports_comparison_in_between_low_bound,
        supports_comment_on,
        supports_load_extension,
        supports_named_fn_args_with_assignment_operator,
        supports_struct_literal,
        supports_empty_projections,
        supports_multiline_comment_hints,
        supports_copy_from_stdin_data,
        supports_user_host_grantee,
        supports_string_escape_constant,
        supports_array_typedef_with_brackets,
        supports_match_against,
        supports_set_names,
        supports_comma_separated_set_assignments,
        supports_filter_during_aggregation,
        supports_select_wildcard_exclude,
        supports_data_type_signed_suffix,
        supports_data_type_zerofill_suffix,
        supports_interval_options,
        supports_quote_delimited_string,
        supports_select_wildcard_replace,
        supports_select_wildcard_ilike,
        supports_select_wildcard_rename,
        supports_optimize_table,
        supports_install,
        supports_detach,
        supports_prewhere,
        supports_with_fill,
        supports_limit_by,
        supports_interpolate,
        supports_settings,
        supports_table_partitions,
        supports_table_inheritance_markers,
        supports_select_format,
        supports_comment_optimizer_hint,
        supports_constraint_keyword_without_name,
        supports_key_column_option,
        supports_comma_separated_trim,
        supports_cte_without_as,
        supports_select_item_multi_column_alias,
        supports_xml_expressions,
        supports_aliased_function_args,
        supports_alter_column_position,
        supports_add_column_if_not_exists,
    );

    /// Flink's lexer (Calcite's) ends a block comment at the first `*/`: in
    /// `a /* x /* y */ AND b -- */` it runs `AND b`, which a nesting lexer would drop.
    fn supports_nested_comments(&self) -> bool {
        false
    }

    /// Flink refuses `SELECT a, b, FROM t`, which the generic dialect reads as `SELECT a, b`.
    fn supports_projection_trailing_commas(&self) -> bool {
        false
    }

    /// Flink's temporal joins: `JOIN rates FOR SYSTEM_TIME AS OF o.order_time`.
    fn supports_table_versioning(&self) -> bool {
        true
    }

    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        if self.depth.get() == 0 && word_is(&parser.get_current_token().token, None) {
            if word_is(&parser.get_current_token().token, Some("WATERMARK"))
                && word_is(&parser.peek_token_ref().token, Some("FOR"))
            {
                return Some(self.watermark(parser));
            }
            if word_is(&parser.peek_token_ref().token, Some("AS")) {
                return Some(computed(parser));
            }
        }
        if starts_composite(parser) || starts_local_time_zone(parser) {
            return Some(self.flink_type(parser).and_then(|(text, owed)| {
                if owed > 0 {
                    return parser.expected("a type, not `>>`", parser.get_current_token().clone());
                }
                Ok(custom(text))
            }));
        }
        None
    }

    /// `TABLE name` as a function's argument: Flink's window table-valued functions,
    /// `TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTES))`. The argument is
    /// an expression `TABLE name` ([`table_arguments`] finds the tables it names). And
    /// Flink's map constructor, `MAP[k, v, ...]` ([`MAP_CONSTRUCTOR`]).
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if let [map, bracket] = parser.peek_tokens_ref::<2>()
            && word_is(&map.token, Some(MAP_CONSTRUCTOR))
            && bracket.token == Token::LBracket
        {
            return Some(map_constructor(parser));
        }
        let in_arguments = matches!(
            parser.get_current_token().token,
            Token::LParen | Token::Comma | Token::RArrow
        );
        let [table, name] = parser.peek_tokens_ref::<2>();
        if !in_arguments || !word_is(&table.token, Some("TABLE")) || !is_word(&name.token) {
            return None;
        }
        parser.advance_token();
        Some(parser.parse_object_name(true).map(|name| {
            let mut parts: Vec<Ident> = name
                .0
                .iter()
                .filter_map(ObjectNamePart::as_ident)
                .cloned()
                .collect();
            let value = match parts.len() {
                1 => Expr::Identifier(parts.remove(0)),
                _ => Expr::CompoundIdentifier(parts),
            };
            Expr::Prefixed {
                prefix: Ident::new(TABLE_ARGUMENT),
                value: Box::new(value),
            }
        }))
    }

    fn parse_column_option(
        &self,
        parser: &mut Parser,
    ) -> Result<Option<Result<Option<ColumnOption>, ParserError>>, ParserError> {
        if !word_is(&parser.peek_token_ref().token, Some("METADATA")) {
            return Ok(None);
        }
        parser.advance_token();
        let mut tokens = vec![Token::make_word("METADATA", None)];
        if parser.parse_keyword(Keyword::FROM) {
            // A string literal only: sqlparser's `parse_literal_string` takes a word too.
            let key = match parser.next_token() {
                TokenWithSpan {
                    token: Token::SingleQuotedString(key),
                    ..
                } => key,
                other => return Ok(Some(parser.expected("a quoted metadata key", other))),
            };
            tokens.push(Token::make_word("FROM", None));
            // Printed as written: a `'` in the key doubled, as SQL writes it.
            tokens.push(Token::SingleQuotedString(key.replace('\'', "''")));
        }
        if word_is(&parser.peek_token_ref().token, Some("VIRTUAL")) {
            parser.advance_token();
            tokens.push(Token::make_word("VIRTUAL", None));
        }
        Ok(Some(Ok(Some(ColumnOption::DialectSpecific(tokens)))))
    }
}

impl FlinkDialect {
    /// `FOR column AS expr`, after a column named `WATERMARK`.
    fn watermark(&self, parser: &mut Parser) -> Result<DataType, ParserError> {
        let span = parser.get_current_token().span;
        parser.advance_token(); // FOR
        let column = parser.parse_identifier()?;
        if let Some(why) = crate::reserved::as_name(&column) {
            return Err(at(column.span, why));
        }
        parser.expect_keyword(Keyword::AS)?;
        let strategy = flink_expr(parser)?;
        self.watermarks.borrow_mut().push(Watermark {
            span,
            column: column.clone(),
        });
        Ok(custom(format!("FOR {column} AS {strategy}")))
    }

    /// A composite type or `TIMESTAMP(p) WITH LOCAL TIME ZONE`, as its text, and how many
    /// `>` of the enclosing types its last token closed (`>>` closes two).
    fn flink_type(&self, parser: &mut Parser) -> Result<(String, usize), ParserError> {
        if starts_local_time_zone(parser) {
            return local_time_zone(parser).map(|text| (text, 0));
        }
        if !starts_composite(parser) {
            let element = parser.parse_data_type()?;
            return Ok((element.to_string(), 0));
        }
        let depth = self.depth.get() + 1;
        if depth > TYPE_DEPTH {
            return parser.expected(
                &format!("types nested at most {TYPE_DEPTH} deep"),
                parser.peek_token(),
            );
        }
        self.depth.set(depth);
        let out = self.composite(parser);
        self.depth.set(depth - 1);
        out
    }

    /// `ROW<...>`, `ROW(...)`, `MAP<K, V>`, `MULTISET<T>`, `ARRAY<T>`.
    fn composite(&self, parser: &mut Parser) -> Result<(String, usize), ParserError> {
        let name = match &parser.next_token().token {
            Token::Word(w) => w.value.to_ascii_uppercase(),
            _ => unreachable_composite(parser)?,
        };
        let angle = parser.next_token().token == Token::Lt;
        if name == "ROW" {
            let fields = self.row_fields(parser, angle)?;
            return match fields {
                (text, owed) if angle => Ok((format!("ROW<{text}>"), owed)),
                (text, _) => Ok((format!("ROW({text})"), 0)),
            };
        }
        let (first, owed) = self.element(parser)?;
        if name == "MAP" {
            if owed > 0 {
                return parser.expected("`,` and the map's value type", parser.peek_token());
            }
            parser.expect_token(&Token::Comma)?;
            let (value, owed) = self.element(parser)?;
            let owed = close_angle(parser, owed)?;
            return Ok((format!("MAP<{first}, {value}>"), owed));
        }
        let owed = close_angle(parser, owed)?;
        Ok((format!("{name}<{first}>"), owed))
    }

    /// A ROW's fields up to its closing bracket: `name type [NOT NULL] ['description']`, each.
    fn row_fields(&self, parser: &mut Parser, angle: bool) -> Result<(String, usize), ParserError> {
        let mut fields = Vec::new();
        loop {
            let name = parser.parse_identifier()?;
            if let Some(why) = crate::reserved::as_name(&name) {
                return Err(at(name.span, why));
            }
            let (mut field, owed) = self.element(parser)?;
            field = format!("{name} {field}");
            if owed == 0
                && let Token::SingleQuotedString(description) = &parser.peek_token_ref().token
            {
                let description = Value::SingleQuotedString(description.clone());
                parser.advance_token();
                field = format!("{field} {description}");
            }
            fields.push(field);
            if owed > 0 {
                // `>>` closed this field's type and the ROW itself.
                if !angle {
                    return parser
                        .expected("`)` to close ROW(", parser.get_current_token().clone());
                }
                return Ok((fields.join(", "), owed - 1));
            }
            if parser.consume_token(&Token::Comma) {
                continue;
            }
            if angle {
                return close_angle(parser, 0).map(|owed| (fields.join(", "), owed));
            }
            parser.expect_token(&Token::RParen)?;
            return Ok((fields.join(", "), 0));
        }
    }

    /// An element type, with `NOT NULL` or `NULL` after it.
    fn element(&self, parser: &mut Parser) -> Result<(String, usize), ParserError> {
        let (mut text, owed) = self.flink_type(parser)?;
        if owed == 0 {
            if parser.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                text.push_str(" NOT NULL");
            } else if parser.parse_keyword(Keyword::NULL) {
                text.push_str(" NULL");
            }
        }
        Ok((text, owed))
    }
}

/// `AS expr`, after a column's name: a computed column.
fn computed(parser: &mut Parser) -> Result<DataType, ParserError> {
    parser.advance_token(); // AS
    let expr = flink_expr(parser)?;
    Ok(custom(format!("AS {expr}")))
}

/// An expression the dialect keeps as text, held to [`crate::check`]'s rules now: the
/// statement's checks never see inside a type.
fn flink_expr(parser: &mut Parser) -> Result<Expr, ParserError> {
    let expr = parser.parse_expr()?;
    match crate::check::expression(&expr) {
        None => Ok(expr),
        Some((span, why)) => Err(at(span, why)),
    }
}

/// A parse error `why` at `span`'s start, placed as sqlparser places its own.
fn at(span: Span, why: String) -> ParserError {
    ParserError::ParserError(format!(
        "{why} at Line: {}, Column: {}",
        span.start.line, span.start.column
    ))
}

/// `TIMESTAMP[(p)] WITH LOCAL TIME ZONE`.
fn local_time_zone(parser: &mut Parser) -> Result<String, ParserError> {
    parser.advance_token(); // TIMESTAMP
    let mut text = String::from("TIMESTAMP");
    if parser.consume_token(&Token::LParen) {
        let precision = parser.parse_literal_uint()?;
        parser.expect_token(&Token::RParen)?;
        text.push_str(&format!("({precision})"));
    }
    // WITH LOCAL TIME ZONE, which `starts_local_time_zone` saw.
    for _ in 0..4 {
        parser.advance_token();
    }
    text.push_str(" WITH LOCAL TIME ZONE");
    Ok(text)
}

/// Consumes the `>` closing a type whose last element closed `owed` brackets already:
/// returns how many enclosing brackets the token read closes.
fn close_angle(parser: &mut Parser, owed: usize) -> Result<usize, ParserError> {
    if owed > 0 {
        return Ok(owed - 1);
    }
    match parser.next_token().token {
        Token::Gt => Ok(0),
        Token::ShiftRight => Ok(1),
        _ => parser.expected("`>`", parser.get_current_token().clone()),
    }
}

/// Whether the next tokens start a composite type: `ROW|MAP|MULTISET|ARRAY <` or `ROW (`.
fn starts_composite(parser: &Parser) -> bool {
    let [name, bracket] = parser.peek_tokens_ref::<2>();
    let open = bracket.token == Token::Lt;
    match &name.token {
        Token::Word(w) if w.quote_style.is_none() => {
            let n = w.value.to_ascii_uppercase();
            (open && matches!(n.as_str(), "ROW" | "MAP" | "MULTISET" | "ARRAY"))
                || (n == "ROW" && bracket.token == Token::LParen)
        }
        _ => false,
    }
}

/// Whether the next tokens are `TIMESTAMP[(p)] WITH LOCAL TIME ZONE`.
fn starts_local_time_zone(parser: &Parser) -> bool {
    let t = parser.peek_tokens_ref::<8>();
    if !word_is(&t[0].token, Some("TIMESTAMP")) {
        return false;
    }
    let rest = match (&t[1].token, &t[2].token, &t[3].token) {
        (Token::LParen, Token::Number(..), Token::RParen) => &t[4..8],
        _ => &t[1..5],
    };
    ["WITH", "LOCAL", "TIME", "ZONE"]
        .iter()
        .zip(rest)
        .all(|(w, t)| word_is(&t.token, Some(w)))
}

/// Whether `token` is an unquoted word (`Some(text)`: that word, in any case).
fn word_is(token: &Token, text: Option<&str>) -> bool {
    match token {
        Token::Word(Word {
            value,
            quote_style: None,
            ..
        }) => text.is_none_or(|t| value.eq_ignore_ascii_case(t)),
        _ => false,
    }
}

/// Whether `column` is a table's watermark, as this dialect reads it (a column named
/// `WATERMARK`, unquoted, of the custom type `FOR ...`).
pub fn is_watermark(column: &ColumnDef) -> bool {
    column.name.quote_style.is_none()
        && column.name.value.eq_ignore_ascii_case("WATERMARK")
        && matches!(&column.data_type, DataType::Custom(name, _)
            if name.0.len() == 1
                && name.0[0].as_ident().is_some_and(|i| i.quote_style.is_none() && i.value.starts_with("FOR ")))
}

/// Each table a statement names alone as a function's argument (`TABLE orders`; not
/// `TABLE db.orders`, a table elsewhere).
pub fn table_arguments(statement: &Statement) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(statement, |e| {
        if let Some(last) = table_argument(e) {
            out.push(last.value.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// `MAP[k, v, ...]`: keys and values in pairs, at least one.
fn map_constructor(parser: &mut Parser) -> Result<Expr, ParserError> {
    parser.advance_token(); // MAP
    let open = parser.next_token(); // [
    let elem = parser.parse_comma_separated(Parser::parse_expr)?;
    parser.expect_token(&Token::RBracket)?;
    if elem.len() % 2 != 0 {
        return Err(at(
            open.span,
            "MAP[...] takes keys and values in pairs: MAP[key1, value1, key2, value2, ...]".into(),
        ));
    }
    Ok(Expr::Prefixed {
        prefix: Ident::new(MAP_CONSTRUCTOR),
        value: Box::new(Expr::Array(Array { elem, named: false })),
    })
}

/// Calls `rename` on each table a statement names alone as a function's argument.
pub fn rename_table_arguments(statement: &mut Statement, mut rename: impl FnMut(&mut Ident)) {
    let _ = visit_expressions_mut(statement, |e| {
        if let Expr::Prefixed { prefix, value } = e
            && prefix.value == TABLE_ARGUMENT
            && prefix.quote_style.is_none()
        {
            // A name alone: `db.orders` is a table elsewhere.
            if let Expr::Identifier(only) = value.as_mut() {
                rename(only);
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The table's name, if `e` is a table argument naming one alone.
fn table_argument(e: &Expr) -> Option<&Ident> {
    let Expr::Prefixed { prefix, value } = e else {
        return None;
    };
    if prefix.value != TABLE_ARGUMENT || prefix.quote_style.is_some() {
        return None;
    }
    match value.as_ref() {
        Expr::Identifier(only) => Some(only),
        _ => None,
    }
}

/// Whether `token` is a word, quoted or not.
fn is_word(token: &Token) -> bool {
    matches!(token, Token::Word(_))
}

/// A type printed as `text`.
fn custom(text: String) -> DataType {
    DataType::Custom(ObjectName::from(vec![Ident::new(text)]), Vec::new())
}

/// The error for a composite type that does not start with a word ([`starts_composite`]
/// checked that it does; kept an error, not a panic).
fn unreachable_composite<T>(parser: &Parser) -> Result<T, ParserError> {
    parser.expected("a type name", parser.get_current_token().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    fn round_trip(sql: &str) -> Result<String, String> {
        let dialect = FlinkDialect::default();
        Parser::parse_sql(&dialect, sql)
            .map(|s| {
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(";\n")
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn flink_ddl_prints_back_as_flink_reads_it() {
        for (sql, printed) in [
            (
                "CREATE TABLE t (a ROW<x INT, `y z` STRING 'the y'>)",
                "CREATE TABLE t (a ROW<x INT, `y z` STRING 'the y'>)",
            ),
            // Read by the generic dialect as `ROW(x, INT, y, STRING)`: other SQL.
            (
                "CREATE TABLE t (a ROW(x INT, y STRING))",
                "CREATE TABLE t (a ROW(x INT, y STRING))",
            ),
            (
                "CREATE TABLE t (m MAP<STRING, ARRAY<ROW<x INT NOT NULL>>>, s MULTISET<INT>)",
                "CREATE TABLE t (m MAP<STRING, ARRAY<ROW<x INT NOT NULL>>>, s MULTISET<INT>)",
            ),
            (
                "create table t (a array<array<decimal(10, 2)>> not null)",
                "CREATE TABLE t (a ARRAY<ARRAY<DECIMAL(10,2)>> NOT NULL)",
            ),
            (
                "CREATE TABLE t (ts TIMESTAMP(3) WITH LOCAL TIME ZONE, u TIMESTAMP WITH LOCAL TIME ZONE)",
                "CREATE TABLE t (ts TIMESTAMP(3) WITH LOCAL TIME ZONE, u TIMESTAMP WITH LOCAL TIME ZONE)",
            ),
            (
                "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (ts) NOT ENFORCED)",
                "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (ts) NOT ENFORCED)",
            ),
            (
                "CREATE TABLE t (price INT, q INT, total AS price * q, `offset` BIGINT METADATA VIRTUAL, ts TIMESTAMP_LTZ(3) METADATA FROM 'time''stamp')",
                "CREATE TABLE t (price INT, q INT, total AS price * q, `offset` BIGINT METADATA VIRTUAL, ts TIMESTAMP_LTZ(3) METADATA FROM 'time''stamp')",
            ),
            (
                "INSERT INTO t SELECT CAST(a AS ROW<x INT>), CAST(b AS MAP<STRING, INT>), CAST(c AS ARRAY<INT>) FROM o",
                "INSERT INTO t SELECT CAST(a AS ROW<x INT>), CAST(b AS MAP<STRING, INT>), CAST(c AS ARRAY<INT>) FROM o",
            ),
            (
                "INSERT INTO t SELECT window_start, SUM(price) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end",
                "INSERT INTO t SELECT window_start, SUM(price) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end",
            ),
            (
                "INSERT INTO t SELECT * FROM TABLE(HOP(DATA => TABLE db.`orders`, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTES))",
                "INSERT INTO t SELECT * FROM TABLE(HOP(DATA => TABLE db.`orders`, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTES))",
            ),
            (
                "INSERT INTO t SELECT o.id, r.rate FROM o JOIN r FOR SYSTEM_TIME AS OF o.ts ON o.c = r.c",
                "INSERT INTO t SELECT o.id, r.rate FROM o JOIN r FOR SYSTEM_TIME AS OF o.ts ON o.c = r.c",
            ),
        ] {
            assert_eq!(round_trip(sql).as_deref(), Ok(printed), "{sql}");
            // What it prints reads back the same.
            assert_eq!(round_trip(printed).as_deref(), Ok(printed), "{printed}");
        }
    }

    #[test]
    fn malformed_flink_types_are_errors_not_guesses() {
        for sql in [
            "CREATE TABLE t (a ARRAY<INT>>)",
            "CREATE TABLE t (a ROW<x INT)",
            "CREATE TABLE t (a ROW(x ARRAY<INT>>))",
            "CREATE TABLE t (a MAP<INT>)",
            "CREATE TABLE t (a MAP<ARRAY<INT>>, INT>)",
            "CREATE TABLE t (a ROW<>)",
            "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts)",
            "CREATE TABLE t (ts INT METADATA FROM ts)",
            "CREATE TABLE t (c AS)",
        ] {
            assert!(round_trip(sql).is_err(), "{sql}: {:?}", round_trip(sql));
        }
    }

    #[test]
    fn table_arguments_are_found_and_renamed() {
        let dialect = FlinkDialect::default();
        let sql = "INSERT INTO t SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) JOIN TABLE(HOP(TABLE db.o2, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)) ON TRUE";
        let mut statement = Parser::parse_sql(&dialect, sql).unwrap().remove(0);
        assert_eq!(table_arguments(&statement), ["orders"]);
        rename_table_arguments(&mut statement, |i| {
            *i = Ident::with_quote('`', format!("{}-topic", i.value))
        });
        let text = statement.to_string();
        assert!(text.contains("TUMBLE(TABLE `orders-topic`,"), "{text}");
        assert!(text.contains("HOP(TABLE db.o2,"), "{text}");
    }

    #[test]
    fn nesting_of_types_is_bounded() {
        let deep = |n: usize| {
            format!(
                "CREATE TABLE t (a {}INT{})",
                "ARRAY<".repeat(n),
                ">".repeat(n)
            )
        };
        assert!(round_trip(&deep(TYPE_DEPTH as usize)).is_ok());
        let err = round_trip(&deep(10_000)).unwrap_err();
        assert!(err.contains("nested at most 16 deep"), "{err}");
    }

    #[test]
    fn everything_else_reads_as_the_generic_dialect_reads_it() {
        let corpus = [
            "CREATE TABLE orders (order_id STRING, price DECIMAL(10, 2), order_time TIMESTAMP(3), PRIMARY KEY (`order_id`) NOT ENFORCED) WITH ('connector' = 'kafka', 'topic' = 'orders')",
            "INSERT INTO order_totals SELECT product_id, SUM(quantity) AS total_quantity, SUM(quantity * price) AS total_revenue FROM orders GROUP BY product_id",
            "INSERT INTO t SELECT /*+ BROADCAST(o) */ a FROM o WHERE a LIKE 'x%' AND b IN (1, 2) OR c IS NOT NULL",
            "CREATE TEMPORARY VIEW v AS SELECT a, COUNT(*) OVER (PARTITION BY a ORDER BY ts) FROM o",
            "INSERT INTO t SELECT * FROM o MATCH_RECOGNIZE (PARTITION BY a ORDER BY ts MEASURES A.a AS x PATTERN (A B) DEFINE A AS A.a > 1)",
            "INSERT INTO t SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE), a['k'], b[1] FROM o GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
            "WITH x AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM x UNION ALL SELECT 2",
            "CREATE TABLE t (a INT COMMENT 'x', b STRING NOT NULL) PARTITIONED BY (a) WITH ('k' = 'v')",
            "SET 'table.exec.state.ttl' = '1h'",
            "INSERT INTO t SELECT a >> 2, b << 1, 'it''s', \"quoted\", `back` FROM o",
        ];
        for sql in corpus {
            let generic = Parser::parse_sql(&GenericDialect, sql).map_err(|e| e.to_string());
            let flink = Parser::parse_sql(&FlinkDialect::default(), sql).map_err(|e| e.to_string());
            assert!(generic.is_ok(), "{sql}: {generic:?}");
            assert_eq!(generic, flink, "{sql}");
        }
    }
}
