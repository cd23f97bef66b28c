//! Flink's reserved words used as names without backquotes, refused where they stand.
//!
//! sqlparser reads `value`, `date`, `user` or `year` as a column, table or alias name; Flink
//! 1.19's parser (Calcite's grammar with Flink's keywords) does not, and a FlinkStatement
//! holding one fails only once CMF runs it, with an immutable `spec` to replace by another
//! commit. So every name the statement holds (a column, table, view, alias, CTE or field; any
//! [`Ident`] the parser read from the text) that is a reserved word and not backquoted is an
//! error at its place. Function names are not names here: `COUNT(*)`, `CURRENT_TIMESTAMP` and
//! `DESCRIPTOR(ts)` are how Flink calls them.
//!
//! [`RESERVED`] is derived from the sources, not from the documentation's keyword list (which
//! mixes in the non-reserved ones, `DATA` or `NAME`, that Flink takes as names).

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Statement, TableFactor,
    TypedString, Visit, Visitor,
};
use sqlparser::tokenizer::Span;
use std::ops::ControlFlow;

/// Where `statement` uses a reserved word as a name, and the error to give there.
pub fn in_statement(statement: &Statement) -> Option<(Span, String)> {
    let mut names = Names::default();
    if let Statement::CreateTable(t) = statement {
        for c in &t.columns {
            // `WATERMARK FOR ts AS ...`, which the dialect reads as a column named WATERMARK.
            if crate::dialect::is_watermark(c) {
                names.not_names.push(c.name.span);
            }
            names.type_of(&c.data_type);
        }
    }
    let _ = statement.visit(&mut names);
    names.found
}

/// Where `expr` (an expression the dialect keeps as text) uses a reserved word as a name.
pub fn in_expression(expr: &Expr) -> Option<(Span, String)> {
    let mut names = Names::default();
    let _ = expr.visit(&mut names);
    names.found
}

/// Whether `word` (any case) is one of Flink 1.19's reserved words.
pub fn is_reserved(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

/// The visit: the identifiers seen not to be names (they are visited before the names they hold) and the first
/// reserved name found.
#[derive(Default)]
struct Names {
    /// The places of the identifiers that are not names of objects (a function's or type's
    /// name, a watermark's keyword).
    not_names: Vec<Span>,
    found: Option<(Span, String)>,
}

impl Names {
    /// Marks `parts` (a function's name) as not object names.
    fn calls<'a>(&mut self, parts: impl IntoIterator<Item = &'a Ident>) {
        self.not_names.extend(parts.into_iter().map(|i| i.span));
    }

    /// Marks the name of `data_type` (`TIMESTAMP_LTZ(3)`, which sqlparser reads as a named
    /// type) as not an object's name.
    fn type_of(&mut self, data_type: &DataType) {
        if let DataType::Custom(name, _) = data_type {
            self.calls(name.0.iter().filter_map(|p| p.as_ident()));
        }
    }
}

impl Visitor for Names {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(f) => {
                self.calls(f.name.0.iter().filter_map(|p| p.as_ident()));
                let name = f.name.to_string();
                if UNIT_FIRST.iter().any(|u| name.eq_ignore_ascii_case(u))
                    && let FunctionArguments::List(list) = &f.args
                    && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(unit)))) =
                        list.args.first()
                {
                    self.calls([unit]);
                }
            }
            Expr::Cast { data_type, .. } | Expr::TypedString(TypedString { data_type, .. }) => {
                self.type_of(data_type);
            }
            // `USER`, `SESSION_USER`, ...: Calcite's niladic functions, read as names here.
            Expr::Identifier(i) if NILADIC.iter().any(|n| i.value.eq_ignore_ascii_case(n)) => {
                self.calls([i]);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        // `FROM f(x)` and `LATERAL TABLE(f(x))`: a table function, named as a function is.
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. } => {
                self.calls(name.0.iter().filter_map(|p| p.as_ident()));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_ident(&mut self, ident: &Ident) -> ControlFlow<()> {
        // An identifier with no place is one the dialect made (a type kept as text, the
        // `TABLE` of a table argument), not one the user wrote.
        if ident.span == Span::empty() || self.not_names.contains(&ident.span) {
            return ControlFlow::Continue(());
        }
        match as_name(ident) {
            None => ControlFlow::Continue(()),
            Some(why) => {
                self.found = Some((ident.span, why));
                ControlFlow::Break(())
            }
        }
    }
}

/// The error for `ident` read as a name (a column, a table, a ROW's field): a reserved word
/// not backquoted.
pub fn as_name(ident: &Ident) -> Option<String> {
    if ident.quote_style.is_some() || !is_reserved(&ident.value) {
        return None;
    }
    Some(format!(
        "`{0}` is a reserved word in Flink SQL and cannot be a name as written: \
         backquote it (`{0}`)",
        ident.value
    ))
}

/// Reserved words Calcite reads without parentheses as a value: a function call, or the
/// `UNKNOWN` literal.
const NILADIC: &[&str] = &[
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_DEFAULT_TRANSFORM_GROUP",
    "CURRENT_PATH",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "SESSION_USER",
    "SYSTEM_USER",
    "UNKNOWN",
    "USER",
];

/// Functions whose first argument is a unit Calcite reads as a symbol (`TIMESTAMPADD(MINUTE,
/// 5, ts)`), not a column.
const UNIT_FIRST: &[&str] = &["TIMESTAMPADD", "TIMESTAMPDIFF"];

/// Flink 1.19's reserved words, upper case and sorted (for [`is_reserved`]'s binary search).
///
/// Calcite 1.32's `Parser.jj` (the grammar Flink 1.19 generates its parser from) declares the
/// keywords, Flink's `Parser.tdd` adds its own (`keywords`) and names those that stay names
/// (`nonReservedKeywords`, which replaces Calcite's default list, and
/// `nonReservedKeywordsToAdd`); the rest are reserved. Flink's keywords added after 1.19
/// (`DISTRIBUTION`, `MATERIALIZED`, `FRESHNESS`, ...) are not. Checked word by word against
/// Flink 1.19.1's own parser (`FlinkSqlParserImpl` in PyPI `apache-flink-libraries==1.19.1`):
/// it refuses `STATEMENT`, `FIRST_VALUE`, `JSON_OBJECT`, `MINUS`, `PIVOT`, `STRING_AGG` and
/// the other Calcite 1.32 words here as names, and takes `MORE` (Calcite's `MORE_` token,
/// non-reserved).
const RESERVED: &[&str] = &[
    "ABS",
    "ALL",
    "ALLOCATE",
    "ALLOW",
    "ALTER",
    "AND",
    "ANY",
    "ARE",
    "ARRAY",
    "ARRAY_AGG",
    "ARRAY_CONCAT_AGG",
    "ARRAY_MAX_CARDINALITY",
    "AS",
    "ASENSITIVE",
    "ASYMMETRIC",
    "AT",
    "ATOMIC",
    "AUTHORIZATION",
    "AVG",
    "BEGIN",
    "BEGIN_FRAME",
    "BEGIN_PARTITION",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BIT",
    "BLOB",
    "BOOLEAN",
    "BOTH",
    "BY",
    "BYTES",
    "CALL",
    "CALLED",
    "CARDINALITY",
    "CASCADED",
    "CASE",
    "CAST",
    "CATALOGS",
    "CEIL",
    "CEILING",
    "CHAR",
    "CHARACTER",
    "CHARACTER_LENGTH",
    "CHAR_LENGTH",
    "CHECK",
    "CLASSIFIER",
    "CLOB",
    "CLOSE",
    "COALESCE",
    "COLLATE",
    "COLLECT",
    "COLUMN",
    "COMMENT",
    "COMMIT",
    "CONDITION",
    "CONNECT",
    "CONSTRAINT",
    "CONTAINS",
    "CONVERT",
    "CORR",
    "CORRESPONDING",
    "COUNT",
    "COVAR_POP",
    "COVAR_SAMP",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_DEFAULT_TRANSFORM_GROUP",
    "CURRENT_PATH",
    "CURRENT_ROLE",
    "CURRENT_ROW",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_TRANSFORM_GROUP_FOR_TYPE",
    "CURRENT_USER",
    "CURSOR",
    "CYCLE",
    "DATABASES",
    "DATE",
    "DAY",
    "DEALLOCATE",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DEFINE",
    "DELETE",
    "DENSE_RANK",
    "DEREF",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISALLOW",
    "DISCONNECT",
    "DISTINCT",
    "DOT",
    "DOUBLE",
    "DROP",
    "DYNAMIC",
    "EACH",
    "ELEMENT",
    "ELSE",
    "EMPTY",
    "END",
    "END_FRAME",
    "END_PARTITION",
    "EQUALS",
    "ESCAPE",
    "EVERY",
    "EXCEPT",
    "EXEC",
    "EXECUTE",
    "EXISTS",
    "EXP",
    "EXPLAIN",
    "EXTEND",
    "EXTENDED",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST_VALUE",
    "FLOAT",
    "FLOOR",
    "FOR",
    "FOREIGN",
    "FRAME_ROW",
    "FREE",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUNCTIONS",
    "FUSION",
    "GET",
    "GLOBAL",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "GROUP_CONCAT",
    "HAVING",
    "HOLD",
    "HOUR",
    "IDENTITY",
    "ILIKE",
    "IMPORT",
    "IN",
    "INCLUDE",
    "INDICATOR",
    "INITIAL",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERSECTION",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "JSON_ARRAY",
    "JSON_ARRAYAGG",
    "JSON_EXISTS",
    "JSON_OBJECT",
    "JSON_OBJECTAGG",
    "JSON_QUERY",
    "JSON_VALUE",
    "LAG",
    "LANGUAGE",
    "LARGE",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIKE_REGEX",
    "LIMIT",
    "LN",
    "LOCAL",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOWER",
    "MATCH",
    "MATCHES",
    "MATCH_NUMBER",
    "MATCH_RECOGNIZE",
    "MAX",
    "MEASURES",
    "MEMBER",
    "MERGE",
    "METHOD",
    "MIN",
    "MINUS",
    "MINUTE",
    "MOD",
    "MODIFIES",
    "MODIFY",
    "MODULE",
    "MODULES",
    "MONTH",
    "MULTISET",
    "NATIONAL",
    "NATURAL",
    "NCHAR",
    "NCLOB",
    "NEW",
    "NEXT",
    "NO",
    "NONE",
    "NORMALIZE",
    "NOT",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NULLIF",
    "NUMERIC",
    "OCCURRENCES_REGEX",
    "OCTET_LENGTH",
    "OF",
    "OFFSET",
    "OLD",
    "OMIT",
    "ON",
    "ONE",
    "ONLY",
    "OPEN",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OVER",
    "OVERLAPS",
    "OVERLAY",
    "PARAMETER",
    "PARTITION",
    "PATTERN",
    "PER",
    "PERCENT",
    "PERCENTILE_CONT",
    "PERCENTILE_DISC",
    "PERCENT_RANK",
    "PERIOD",
    "PERMUTE",
    "PIVOT",
    "PORTION",
    "POSITION",
    "POSITION_REGEX",
    "POWER",
    "PRECEDES",
    "PRECISION",
    "PREPARE",
    "PREV",
    "PRIMARY",
    "PROCEDURE",
    "PROCEDURES",
    "RANGE",
    "RANK",
    "RAW",
    "READS",
    "REAL",
    "RECURSIVE",
    "REF",
    "REFERENCES",
    "REFERENCING",
    "REGR_AVGX",
    "REGR_AVGY",
    "REGR_COUNT",
    "REGR_INTERCEPT",
    "REGR_R2",
    "REGR_SLOPE",
    "REGR_SXX",
    "REGR_SXY",
    "REGR_SYY",
    "RELEASE",
    "RENAME",
    "RESET",
    "RESULT",
    "RETURN",
    "RETURNS",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROLLBACK",
    "ROLLUP",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "RUNNING",
    "SAVEPOINT",
    "SCALA",
    "SCOPE",
    "SCROLL",
    "SEARCH",
    "SECOND",
    "SEEK",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SESSION_USER",
    "SET",
    "SHOW",
    "SIMILAR",
    "SKIP",
    "SMALLINT",
    "SOME",
    "SPECIFIC",
    "SPECIFICTYPE",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQRT",
    "START",
    "STATEMENT",
    "STATIC",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "STREAM",
    "STRING",
    "STRING_AGG",
    "SUBMULTISET",
    "SUBSET",
    "SUBSTRING",
    "SUBSTRING_REGEX",
    "SUCCEEDS",
    "SUM",
    "SYMMETRIC",
    "SYSTEM",
    "SYSTEM_TIME",
    "SYSTEM_USER",
    "TABLE",
    "TABLES",
    "TABLESAMPLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "TIMEZONE_HOUR",
    "TIMEZONE_MINUTE",
    "TINYINT",
    "TO",
    "TRAILING",
    "TRANSLATE",
    "TRANSLATE_REGEX",
    "TRANSLATION",
    "TREAT",
    "TRIGGER",
    "TRIM",
    "TRIM_ARRAY",
    "TRUE",
    "TRUNCATE",
    "UESCAPE",
    "UNION",
    "UNIQUE",
    "UNKNOWN",
    "UNNEST",
    "UNPIVOT",
    "UPDATE",
    "UPPER",
    "UPSERT",
    "USE",
    "USER",
    "USING",
    "VALUE",
    "VALUES",
    "VALUE_OF",
    "VARBINARY",
    "VARCHAR",
    "VARYING",
    "VAR_POP",
    "VAR_SAMP",
    "VERSIONING",
    "VIEWS",
    "WATERMARK",
    "WATERMARKS",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WIDTH_BUCKET",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "YEAR",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn a_reserved_word_as_a_name_is_refused_where_it_stands() {
        let mut failed = Vec::new();
        for (sql, at) in [
            ("CREATE TABLE t (\n  id INT,\n  value STRING\n);", "3:3"),
            ("CREATE TABLE user (id INT);", "1:14"),
            ("CREATE VIEW v AS SELECT\n  a AS date FROM o;", "2:8"),
            ("CREATE VIEW v (year) AS SELECT a FROM o;", "1:16"),
            ("INSERT INTO t SELECT value FROM o;", "1:22"),
            ("INSERT INTO t SELECT o.value FROM o;", "1:24"),
            ("INSERT INTO t SELECT a FROM o time;", "1:31"),
            ("INSERT INTO t (value) SELECT a FROM o;", "1:16"),
            (
                "INSERT INTO t WITH result AS (SELECT a FROM o) SELECT a FROM result;",
                "1:20",
            ),
            (
                "INSERT INTO t SELECT a FROM o WHERE o.`b`.value > 1;",
                "1:43",
            ),
            ("CREATE TABLE t (a INT, b AS value + 1);", "1:29"),
            (
                "CREATE TABLE t (a INT, PRIMARY KEY (a) NOT ENFORCED, c INT, comment INT);",
                "1:61",
            ),
            (
                "CREATE TABLE t (timestamp TIMESTAMP(3), WATERMARK FOR timestamp AS timestamp);",
                "1:55",
            ),
            ("CREATE TABLE t (a ROW<x INT, value STRING>);", "1:30"),
            // The rowtime column of a watermark, before its expression.
            (
                "CREATE TABLE t (`time` TIMESTAMP(3), WATERMARK FOR time AS time);",
                "1:52",
            ),
            // Calcite 1.32 words Flink 1.19's parser refuses as names.
            ("CREATE VIEW v AS SELECT a AS statement FROM o;", "1:30"),
            ("INSERT INTO t SELECT pivot, a FROM o;", "1:22"),
            (
                "CREATE TABLE t (a ROW(`x` INT, m MAP<STRING, ROW<year INT>>));",
                "1:50",
            ),
            (
                "INSERT INTO t SELECT CAST(a AS ROW<date INT>) FROM o;",
                "1:36",
            ),
        ] {
            match parse("r.sql", sql) {
                Err(e)
                    if e.starts_with(&format!("r.sql:{at}: `")) && e.contains("reserved word") => {}
                other => failed.push(format!("{sql}: {other:?}")),
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
        // Backquoted, each is a name; unreserved keywords are names as written.
        for sql in [
            "CREATE TABLE t (id INT, `value` STRING, data STRING, name STRING, `type` INT);",
            "CREATE TABLE `user` (`timestamp` TIMESTAMP(3), WATERMARK FOR `timestamp` AS `timestamp`);",
            "INSERT INTO t (`value`) SELECT o.`value` AS `date` FROM o `time`;",
            "INSERT INTO t SELECT COUNT(*), YEAR(ts), `VALUE` FROM o GROUP BY `VALUE`;",
            "CREATE TABLE t (a ROW<`value` STRING, data INT>, b ROW(`year` INT));",
            // A unit is a symbol, UNKNOWN a literal, MORE not reserved.
            "INSERT INTO t SELECT TIMESTAMPADD(MINUTE, 5, ts), TIMESTAMPDIFF(year, a, b) FROM o;",
            "INSERT INTO t SELECT a IS UNKNOWN, unknown, a AS more FROM o;",
            // Not MySQL's index definitions: column names.
            "CREATE TABLE t (key STRING, index INT, fulltext INT, spatial INT, PRIMARY KEY (key) NOT ENFORCED);",
            "INSERT INTO t (key, index) SELECT key, index FROM o;",
            "INSERT INTO t SELECT CAST(a AS ROW<`date` INT, name STRING>) FROM o;",
        ] {
            let parsed = parse("r.sql", sql);
            assert!(parsed.is_ok(), "{sql}: {parsed:?}");
        }
    }

    #[test]
    fn the_list_is_sorted_upper_case_and_holds_the_words_flink_refuses() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(RESERVED.iter().all(|w| w.to_ascii_uppercase() == *w));
        for word in [
            "value",
            "Date",
            "YEAR",
            "user",
            "time",
            "timestamp",
            "count",
            "order",
        ] {
            assert!(is_reserved(word), "{word}");
        }
        for word in ["data", "name", "type", "status", "key", "a", "amount", "ts"] {
            assert!(!is_reserved(word), "{word}");
        }
    }
}
