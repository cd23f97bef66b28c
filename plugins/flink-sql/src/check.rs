//! What the parser takes and Flink refuses, refused at the statement's place when the file is
//! parsed rather than by CMF once the FlinkStatement is applied (and its immutable `spec` has
//! to be replaced by another commit).
//!
//! - DDL: a primary key must be `NOT ENFORCED` and name declared columns; no other constraint
//!   (`UNIQUE`, `CHECK`, `FOREIGN KEY`) or column option (`DEFAULT`, ...) than Flink's
//!   (`NOT NULL`, `NULL`, `COMMENT`, `METADATA`); a column declared once.
//! - Objects that could not live across statements: each statement is its own FlinkStatement,
//!   so a `TEMPORARY` table or view would be gone before the statement that uses it.
//! - Qualified names in `CREATE`: a table or view lives in the catalog and database this
//!   plugin generates for it (`sql.current-catalog`, `sql.current-database`).
//! - Expressions and clauses of other SQL dialects: an expression is taken only in the forms
//!   Flink (Calcite) reads ([`foreign_expr`] is an allow-list of sqlparser's `Expr` variants,
//!   operators and literals); `SELECT TOP`, `SELECT * EXCEPT (...)` and the other wildcard
//!   options, `LIMIT offset, count`, `QUALIFY`, and time travel other than
//!   `FOR SYSTEM_TIME AS OF` are refused too.
//!
//! - Flink's reserved words used unquoted as names ([`crate::reserved`]).
//!
//! No error shows a string literal's content ([`unquoted`]): it may be a secret.

use crate::dialect;
use crate::parse::{Place, unquoted};
use sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, CeilFloorKind, ColumnOption, CreateTable, DataType, Expr,
    ExtractSyntax, Ident, InTarget, LimitClause, ObjectName, Query, Select, SelectItem, Spanned,
    Statement, Subscript, TableConstraint, TableFactor, TableVersion, TimezoneInfo, UnaryOperator,
    Value, Visit, Visitor, WildcardAdditionalOptions,
};
use sqlparser::tokenizer::Span;
use std::collections::BTreeSet;
use std::ops::ControlFlow;

/// Checks `statement` (starting at `start`); the error is `file:line:column: why`.
pub fn statement(start: &Place, statement: &Statement) -> Result<(), String> {
    let at = |span: Span| start.at(span.start.line, span.start.column);
    match statement {
        Statement::CreateTable(t) => {
            if t.temporary {
                return Err(format!(
                    "{start}: CREATE TEMPORARY TABLE: each statement runs as its own \
                     FlinkStatement, so a temporary table is gone before another uses it; \
                     write CREATE TABLE"
                ));
            }
            unqualified(start, &t.name, "CREATE TABLE")?;
            table(start, t)?;
        }
        Statement::CreateView(v) => {
            if v.temporary {
                return Err(format!(
                    "{start}: CREATE TEMPORARY VIEW: each statement runs as its own \
                     FlinkStatement, so a temporary view is gone before another uses it; write \
                     CREATE VIEW, or a CTE (WITH ... AS) in the statement that uses it"
                ));
            }
            unqualified(start, &v.name, "CREATE VIEW")?;
        }
        _ => {}
    }
    let mut foreign = Foreign::starting_at(Span::empty());
    let _ = statement.visit(&mut foreign);
    if let Some((span, what)) = foreign
        .found
        .or_else(|| crate::reserved::in_statement(statement))
    {
        return Err(format!("{}: {what}", at(span)));
    }
    Ok(())
}

/// Checks an expression the dialect keeps as text (a computed column's, a watermark's): where
/// and why it is not Flink SQL, if it is not.
pub fn expression(expr: &Expr) -> Option<(Span, String)> {
    let mut foreign = Foreign::starting_at(expr.span());
    let _ = expr.visit(&mut foreign);
    foreign
        .found
        .or_else(|| crate::reserved::in_expression(expr))
}

/// A created object's name must be one part: its catalog and database are generated.
fn unqualified(start: &Place, name: &ObjectName, what: &str) -> Result<(), String> {
    if name.0.len() > 1 {
        let name = unquoted(&name.to_string());
        return Err(format!(
            "{start}: {what} {name}: a qualified name would create it in another catalog or \
             database than the one generated for its connection (the statement's \
             sql.current-catalog and sql.current-database); write the name alone"
        ));
    }
    Ok(())
}

/// A table's columns and constraints, as Flink takes them.
fn table(start: &Place, t: &CreateTable) -> Result<(), String> {
    let at = |span: Span| start.at(span.start.line, span.start.column);
    let mut declared = BTreeSet::new();
    let mut keys = 0;
    for c in t.columns.iter().filter(|c| !dialect::is_watermark(c)) {
        if matches!(c.data_type, DataType::Interval { .. }) {
            return Err(format!(
                "{}: the column `{}` is an INTERVAL: Flink's CREATE TABLE takes no interval \
                 column (a CAST to one is fine); store a BIGINT of milliseconds, or a STRING",
                at(c.name.span),
                c.name.value
            ));
        }
        if !declared.insert(c.name.value.as_str()) {
            return Err(format!(
                "{}: the column `{}` is declared twice",
                at(c.name.span),
                c.name.value
            ));
        }
        for option in &c.options {
            match &option.option {
                ColumnOption::Null
                | ColumnOption::NotNull
                | ColumnOption::Comment(_)
                | ColumnOption::DialectSpecific(_) => {}
                ColumnOption::PrimaryKey(pk)
                    if pk.characteristics.and_then(|c| c.enforced) == Some(false) =>
                {
                    keys += 1;
                }
                ColumnOption::PrimaryKey(_) => return Err(not_enforced(at(c.name.span))),
                other => {
                    let other = unquoted(&other.to_string());
                    return Err(format!(
                        "{}: the column `{}` has `{other}`, which Flink does not take (a column \
                         takes NOT NULL, COMMENT, METADATA, or PRIMARY KEY NOT ENFORCED)",
                        at(c.name.span),
                        c.name.value
                    ));
                }
            }
        }
    }
    for constraint in &t.constraints {
        let TableConstraint::PrimaryKey(pk) = constraint else {
            return Err(format!(
                "{}: `{}`: Flink takes no constraint but PRIMARY KEY (...) NOT ENFORCED",
                at(constraint.span()),
                unquoted(&constraint.to_string())
            ));
        };
        if pk.characteristics.and_then(|c| c.enforced) != Some(false) {
            return Err(not_enforced(at(constraint.span())));
        }
        keys += 1;
        for column in &pk.columns {
            let Expr::Identifier(name) = &column.column.expr else {
                return Err(format!(
                    "{}: a primary key names columns, not `{}`",
                    at(column.column.expr.span()),
                    unquoted(&column.column.expr.to_string())
                ));
            };
            if !declared.contains(name.value.as_str()) {
                return Err(format!(
                    "{}: the primary key names `{}`, which the table does not declare",
                    at(name.span),
                    name.value
                ));
            }
        }
    }
    if keys > 1 {
        return Err(format!(
            "{start}: a table has one primary key; this one declares {keys}"
        ));
    }
    Ok(())
}

fn not_enforced(at: Place) -> String {
    format!("{at}: Flink does not enforce primary keys: write PRIMARY KEY (...) NOT ENFORCED")
}

/// Finds the first expression or clause of another SQL dialect.
struct Foreign {
    found: Option<(Span, String)>,
    /// Whether the next expression visited is a map constructor's keys and values (the
    /// `[...]` of `MAP[...]`, an array literal elsewhere).
    map_elements: bool,
    /// The place of the last expression visited that has one (for those sqlparser gives
    /// none, and nothing in them gives one either).
    last: Span,
}

/// Where `expr` starts: its span, or for the forms sqlparser gives no span, the span of the
/// first part that has one (else empty).
fn place(expr: &Expr) -> Span {
    let span = expr.span();
    if span != Span::empty() {
        return span;
    }
    match expr {
        Expr::RLike { expr, .. } | Expr::Named { expr, .. } => expr.span(),
        Expr::MatchAgainst { columns, .. } => columns.first().map_or(span, Spanned::span),
        Expr::Struct { values, .. } => values.first().map_or(span, Spanned::span),
        Expr::Dictionary(fields) => fields.first().map_or(span, |f| f.key.span),
        Expr::Map(map) => map.entries.first().map_or(span, |e| e.key.span()),
        _ => span,
    }
}

impl Foreign {
    /// A visit that has found nothing yet, placing what has no span at `last`.
    fn starting_at(last: Span) -> Self {
        Foreign {
            found: None,
            map_elements: false,
            last,
        }
    }

    /// Stops the visit at what `span` holds, not Flink SQL for the reason `what`.
    fn refuse(&mut self, span: Span, what: String) -> ControlFlow<()> {
        self.found = Some((span, what));
        ControlFlow::Break(())
    }
}

/// Whether a `*` has options Flink does not take (`* EXCEPT (...)`, ...).
fn has_options(options: &WildcardAdditionalOptions) -> bool {
    options.opt_ilike.is_some()
        || options.opt_exclude.is_some()
        || options.opt_except.is_some()
        || options.opt_replace.is_some()
        || options.opt_rename.is_some()
        || options.opt_alias.is_some()
}

/// Why `expr` itself (not what it holds: the visitor visits that) is not Flink SQL, if it is
/// not. An allow-list: the forms Flink 1.19 (Calcite) reads pass, every other form of
/// sqlparser's `Expr`, known or added later, is refused.
fn foreign_expr(expr: &Expr) -> Option<String> {
    let what: &str = match expr {
        Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::Between { .. }
        | Expr::SimilarTo { .. }
        | Expr::Position { .. }
        | Expr::Substring { .. }
        | Expr::Overlay { .. }
        | Expr::Nested(_)
        | Expr::Function(_)
        | Expr::Case { .. }
        | Expr::Exists { .. }
        | Expr::Subquery(_)
        | Expr::GroupingSets(_)
        | Expr::Cube(_)
        | Expr::Rollup(_)
        | Expr::Tuple(_)
        | Expr::Wildcard(_)
        | Expr::QualifiedWildcard(..) => return None,
        Expr::Identifier(name) if !variable(name) => return None,
        Expr::CompoundIdentifier(names) if !names.iter().any(variable) => return None,
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            "a variable (`@@name`, `@name`) or `#name` is not Flink SQL: write the value, or \
             backquote a name (`@name`)"
        }
        Expr::CompoundFieldAccess { access_chain, .. } => {
            let allowed = access_chain.iter().all(|a| {
                matches!(
                    a,
                    AccessExpr::Dot(Expr::Identifier(_))
                        | AccessExpr::Subscript(Subscript::Index { .. })
                )
            });
            if allowed {
                return None;
            }
            "an array slice (`a[i:j]`) or this field access is not Flink SQL: write a[i] for \
             an element, row.field for a field, or ARRAY_SLICE(a, i, j)"
        }
        Expr::IsJson { unique_keys, .. } => match unique_keys {
            None => return None,
            Some(_) => {
                "IS JSON ... UNIQUE KEYS is not Flink SQL: write IS JSON [VALUE | SCALAR | ARRAY | OBJECT]"
            }
        },
        Expr::In { target, global, .. } => match target {
            InTarget::List(_) | InTarget::Subquery(_) if !global => return None,
            _ if *global => "GLOBAL IN is not Flink SQL: write IN",
            _ => "IN takes a list (a, b, ...) or a subquery in Flink SQL, not UNNEST or a table",
        },
        Expr::BinaryOp { op, .. } => return binary(op),
        Expr::Like {
            any: false,
            pattern,
            ..
        } if !quantified(pattern) => return None,
        Expr::Like { .. } => {
            "LIKE ANY/ALL (...) is not Flink SQL: write x LIKE a OR x LIKE b (or AND for ALL)"
        }
        Expr::ILike { .. } => "ILIKE is not Flink SQL: write LOWER(x) LIKE LOWER(pattern)",
        Expr::RLike { .. } => "REGEXP/RLIKE is not Flink SQL: write REGEXP(string, pattern)",
        Expr::AnyOp {
            compare_op, right, ..
        }
        | Expr::AllOp {
            compare_op, right, ..
        } if comparison(compare_op) && matches!(right.as_ref(), Expr::Subquery(_)) => {
            return None;
        }
        Expr::AnyOp { .. } | Expr::AllOp { .. } => {
            "ANY/SOME/ALL takes a comparison and a subquery in Flink SQL: write x = ANY \
             (SELECT ...), or ARRAY_CONTAINS(array, x)"
        }
        Expr::UnaryOp { op, .. } => return unary(op),
        Expr::Convert { .. } => "CONVERT(x, type) is not Flink SQL: write CAST(x AS type)",
        Expr::Cast {
            kind: CastKind::Cast | CastKind::TryCast,
            format: None,
            ..
        } => return None,
        Expr::Cast {
            kind: CastKind::SafeCast,
            ..
        } => "SAFE_CAST is not Flink SQL: write TRY_CAST(x AS type)",
        Expr::Cast {
            kind: CastKind::DoubleColon,
            ..
        } => "`::` is not Flink SQL: write CAST(x AS type)",
        Expr::Cast { .. } => "CAST ... FORMAT is not Flink SQL: write DATE_FORMAT or TO_TIMESTAMP",
        Expr::AtTimeZone { .. } => {
            "AT TIME ZONE is not Flink SQL: write CONVERT_TZ(string, from_zone, to_zone), or \
             set table.local-time-zone"
        }
        Expr::Extract {
            syntax: ExtractSyntax::From,
            ..
        } => return None,
        Expr::Extract { .. } => "EXTRACT(unit, x) is not Flink SQL: write EXTRACT(unit FROM x)",
        Expr::Ceil {
            field: CeilFloorKind::DateTimeField(_),
            ..
        }
        | Expr::Floor {
            field: CeilFloorKind::DateTimeField(_),
            ..
        } => return None,
        Expr::Ceil { .. } | Expr::Floor { .. } => {
            "CEIL/FLOOR with a scale is not Flink SQL: write CEIL(x), CEIL(time TO unit), or \
             ROUND(x, n)"
        }
        Expr::Trim {
            trim_characters: None,
            ..
        } => return None,
        Expr::Trim { .. } => {
            "TRIM(x, characters) is not Flink SQL: write TRIM(BOTH characters FROM x)"
        }
        Expr::Collate { .. } => "COLLATE is not Flink SQL",
        Expr::Value(v) => return value(&v.value),
        Expr::Prefixed { prefix, .. }
            if prefix.quote_style.is_none() && prefix.value == "TABLE" =>
        {
            // The dialect's table argument, `TABLE orders`.
            return None;
        }
        Expr::Prefixed { .. } => {
            "a character set introducer (`_utf8'...'`) is not Flink SQL: write the string"
        }
        Expr::TypedString(t) => {
            let typed = matches!(
                t.data_type,
                DataType::Date
                    | DataType::Time(_, TimezoneInfo::None)
                    | DataType::Timestamp(_, TimezoneInfo::None)
            );
            if typed && !t.uses_odbc_syntax && matches!(t.value.value, Value::SingleQuotedString(_))
            {
                return None;
            }
            "a typed literal is DATE '...', TIME '...' or TIMESTAMP '...' in Flink SQL: write \
             CAST('...' AS type) for another type"
        }
        Expr::Struct { .. } | Expr::Named { .. } => {
            "STRUCT(...) is not Flink SQL: write ROW(...) (and CAST(ROW(...) AS ROW<...>) for \
             field names)"
        }
        Expr::Dictionary(_) => {
            "a `{...}` literal is not Flink SQL: write MAP[key, value, ...] or ROW(...)"
        }
        Expr::Map(_) => "MAP {...} is not Flink SQL: write MAP[key, value, ...]",
        Expr::Array(array) if array.named => return None,
        Expr::Array(_) => "an array literal `[...]` is not Flink SQL: write ARRAY[...]",
        Expr::Interval(interval) if interval.leading_field.is_some() => return None,
        Expr::Interval(_) => {
            "an INTERVAL without a unit is not Flink SQL: write INTERVAL '1' DAY, INTERVAL \
             '1:30' HOUR TO MINUTE, ..."
        }
        Expr::MatchAgainst { .. } => "MATCH (...) AGAINST (...) is not Flink SQL",
        Expr::OuterJoin(_) => "the `(+)` outer join is not Flink SQL: write LEFT or RIGHT JOIN",
        Expr::Prior(_) => "PRIOR (CONNECT BY) is not Flink SQL",
        Expr::Lambda(_) => "a lambda (`x -> ...`) is not Flink SQL",
        Expr::MemberOf(_) => "MEMBER OF is not Flink SQL: write ARRAY_CONTAINS(array, value)",
        Expr::JsonAccess { .. } => {
            "JSON path access (`x:path`) is not Flink SQL: write JSON_VALUE(x, '$.path')"
        }
        _ => "this expression is not Flink SQL",
    };
    Some(what.to_string())
}

/// Whether `name` is a variable (`@@name`, `@name`) or a `#name`, which the generic dialect
/// reads as names and Flink does not.
fn variable(name: &Ident) -> bool {
    name.quote_style.is_none() && name.value.starts_with(['@', '#'])
}

/// Whether `pattern` is `ANY (...)`, `ALL (...)` or `SOME (...)`, which the parser reads after
/// LIKE as a function call (`x LIKE ALL ('a', 'b')`).
fn quantified(pattern: &Expr) -> bool {
    matches!(pattern, Expr::Function(f)
    if matches!(f.name.0.as_slice(), [part] if part.as_ident().is_some_and(|i| {
        i.quote_style.is_none()
            && ["any", "all", "some"].iter().any(|k| i.value.eq_ignore_ascii_case(k))
    })))
}

/// A comparison operator (of `x = ANY (subquery)`).
fn comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::Gt
            | BinaryOperator::LtEq
            | BinaryOperator::GtEq
    )
}

/// Why the binary operator `op` is not Flink SQL, if it is not: Flink's are
/// `+ - * / % || = <> != < > <= >= AND OR`.
fn binary(op: &BinaryOperator) -> Option<String> {
    use BinaryOperator as B;
    let instead = match op {
        B::Plus
        | B::Minus
        | B::Multiply
        | B::Divide
        | B::Modulo
        | B::StringConcat
        | B::Gt
        | B::Lt
        | B::GtEq
        | B::LtEq
        | B::Eq
        | B::NotEq
        | B::And
        | B::Or => return None,
        B::Spaceship => "write a IS NOT DISTINCT FROM b",
        B::Xor => "write (a OR b) AND NOT (a AND b)",
        B::DuckIntegerDivide | B::MyIntegerDivide => "write CAST(FLOOR(a / b) AS BIGINT)",
        B::PGExp => "write POWER(a, b)",
        B::Arrow | B::LongArrow | B::HashArrow | B::HashLongArrow => {
            "write JSON_VALUE(json, '$.path') or JSON_QUERY(json, '$.path')"
        }
        B::Regexp
        | B::PGRegexMatch
        | B::PGRegexIMatch
        | B::PGRegexNotMatch
        | B::PGRegexNotIMatch => "write REGEXP(string, pattern)",
        B::PGLikeMatch | B::PGILikeMatch | B::PGNotLikeMatch | B::PGNotILikeMatch => {
            "write [NOT] LIKE"
        }
        B::PGStartsWith => "write string LIKE 'prefix%'",
        B::AtArrow | B::ArrowAt => "write ARRAY_CONTAINS(array, value)",
        _ => "Flink's binary operators are + - * / % || = <> != < > <= >= AND OR",
    };
    Some(format!(
        "the operator `{}` is not Flink SQL: {instead}",
        unquoted(&op.to_string())
    ))
}

/// Why the unary operator `op` is not Flink SQL, if it is not: Flink's are `+ - NOT`.
fn unary(op: &UnaryOperator) -> Option<String> {
    let instead = match op {
        UnaryOperator::Plus | UnaryOperator::Minus | UnaryOperator::Not => return None,
        UnaryOperator::BangNot => "write NOT",
        UnaryOperator::PGAbs => "write ABS(x)",
        UnaryOperator::PGSquareRoot => "write SQRT(x)",
        UnaryOperator::PGCubeRoot => "write POWER(x, 1.0 / 3)",
        _ => "Flink's unary operators are + - NOT",
    };
    Some(format!(
        "the operator `{}` is not Flink SQL: {instead}",
        unquoted(&op.to_string())
    ))
}

/// Why the literal `v` is not Flink SQL, if it is not (never showing its content).
fn value(v: &Value) -> Option<String> {
    let what = match v {
        Value::Number(_, false)
        | Value::SingleQuotedString(_)
        | Value::UnicodeStringLiteral(_)
        | Value::HexStringLiteral(_)
        | Value::Boolean(_)
        | Value::Null => return None,
        Value::Number(_, true) => "a number with an L suffix is not Flink SQL: write the number",
        Value::Placeholder(_) => {
            "a parameter (`?`, `$1`, `:name`, `@name`) is not Flink SQL: write the value"
        }
        Value::DollarQuotedString(_) => {
            "a dollar-quoted string is not Flink SQL: write '...' (a quote inside doubled: '')"
        }
        Value::SingleQuotedByteStringLiteral(_)
        | Value::DoubleQuotedByteStringLiteral(_)
        | Value::TripleSingleQuotedByteStringLiteral(_)
        | Value::TripleDoubleQuotedByteStringLiteral(_) => {
            "a bit or byte string (B'...') is not Flink SQL: write X'...' (hexadecimal) or a \
             number"
        }
        _ => "this string literal is not Flink SQL: write '...' (a quote inside doubled: '')",
    };
    Some(what.to_string())
}

impl Visitor for Foreign {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        let span = place(expr);
        let span = if span == Span::empty() {
            self.last
        } else {
            span
        };
        self.last = span;
        if std::mem::take(&mut self.map_elements) && matches!(expr, Expr::Array(_)) {
            return ControlFlow::Continue(());
        }
        if let Expr::Prefixed { prefix, .. } = expr
            && prefix.quote_style.is_none()
            && prefix.value == crate::dialect::MAP_CONSTRUCTOR
        {
            self.map_elements = true;
            return ControlFlow::Continue(());
        }
        match foreign_expr(expr) {
            Some(what) => self.refuse(span, what),
            None => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(LimitClause::OffsetCommaLimit { offset, .. }) = &query.limit_clause {
            return self.refuse(
                offset.span(),
                "`LIMIT offset, count` is not Flink SQL: write LIMIT count OFFSET offset".into(),
            );
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        // `SELECT all FROM o` reads ALL as the keyword and selects nothing, which is printed
        // back as `SELECT ALL FROM o` and refused by Flink.
        if select.projection.is_empty() {
            return self.refuse(
                select.select_token.0.span,
                "a SELECT with no columns (a reserved word such as `all`, `distinct` or \
                 `union` after SELECT is read as the keyword): name the columns, a reserved \
                 word backquoted"
                    .into(),
            );
        }
        if select.top.is_some() {
            return self.refuse(
                select.select_token.0.span,
                "SELECT TOP n is not Flink SQL: write LIMIT n after the query".into(),
            );
        }
        let wildcard = select.projection.iter().find_map(|item| match item {
            SelectItem::Wildcard(options) | SelectItem::QualifiedWildcard(_, options)
                if has_options(options) =>
            {
                Some(options.wildcard_token.0.span)
            }
            _ => None,
        });
        if let Some(span) = wildcard.or(select.exclude.as_ref().map(|_| select.select_token.0.span))
        {
            return self.refuse(
                span,
                "`*` with EXCEPT, EXCLUDE, REPLACE, RENAME or ILIKE is not Flink SQL: list the \
                 columns"
                    .into(),
            );
        }
        if let Some(qualify) = &select.qualify {
            self.found = Some((
                qualify.span(),
                "QUALIFY is not Flink SQL: filter the ranked rows in an outer query (WHERE rn = 1)"
                    .to_string(),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            version: Some(version),
            ..
        } = factor
            && !matches!(version, TableVersion::ForSystemTimeAsOf(_))
        {
            self.found = Some((
                name.span(),
                format!(
                    "`{}` is not Flink SQL: a temporal join is FOR SYSTEM_TIME AS OF",
                    unquoted(&version.to_string())
                ),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::parse;

    #[test]
    fn forms_of_other_dialects_are_refused_where_they_stand() {
        let mut failed = Vec::new();
        for (expr, why) in [
            ("a <=> b", "IS NOT DISTINCT FROM"),
            ("a -> 'x'", "JSON_VALUE"),
            ("a ->> 'x'", "JSON_VALUE"),
            ("a @> b", "ARRAY_CONTAINS"),
            ("a & b", "not Flink SQL"),
            ("a | b", "not Flink SQL"),
            ("a ^ b", "not Flink SQL"),
            ("a << b", "not Flink SQL"),
            ("a >> b", "not Flink SQL"),
            ("a ~ b", "REGEXP"),
            ("~a", "not Flink SQL"),
            ("a DIV b", ""),
            ("a XOR b", "(a OR b) AND NOT"),
            ("$1", "parameter"),
            ("?", "parameter"),
            (":name", "parameter"),
            ("@@version", "variable"),
            ("$$text$$", "dollar-quoted"),
            ("B'0101'", "bit"),
            ("{'a': 1}", "MAP["),
            ("[1, 2]", "ARRAY["),
            ("INTERVAL '1 day'", "without a unit"),
            ("MATCH (a) AGAINST ('x')", "AGAINST"),
            ("a LIKE ANY ('x', 'y')", "LIKE ANY/ALL"),
            ("a LIKE ALL ('x', 'y')", "LIKE ANY/ALL"),
            ("CONVERT(a, INT)", "CAST(x AS type)"),
            ("a AT TIME ZONE 'UTC'", "CONVERT_TZ"),
            ("a ILIKE 'x'", "ILIKE"),
            ("a RLIKE 'x'", "REGEXP"),
            ("!a", ""),
            ("a[1:2]", "slice"),
            // Within a map constructor as anywhere else; keys and values in pairs.
            ("MAP[[1], 2]", "ARRAY[...]"),
            ("MAP['a', 1, 'b']", "in pairs"),
            ("a COLLATE b", "COLLATE"),
            ("TRIM(a, 'x')", "TRIM(BOTH"),
            ("CEIL(a, 2)", "CEIL"),
            ("SAFE_CAST(a AS INT)", "TRY_CAST"),
            ("JSON '{}'", "CAST('...' AS type)"),
        ] {
            let sql = format!("INSERT INTO t\nSELECT x, {expr} FROM o;");
            match parse("f.sql", &sql) {
                Err(err) if err.starts_with("f.sql:2:") && err.contains(why) => {}
                other => failed.push(format!("{expr}: {other:?}")),
            }
        }
        for (sql, why) in [
            ("INSERT INTO t SELECT all FROM o;", "no columns"),
            ("INSERT INTO t SELECT union FROM o;", "no columns"),
            ("INSERT INTO t SELECT * EXCEPT (a) FROM o;", "EXCEPT"),
            ("INSERT INTO t SELECT * EXCLUDE (a) FROM o;", "EXCEPT"),
            ("INSERT INTO t SELECT * REPLACE (a AS b) FROM o;", "EXCEPT"),
            ("INSERT INTO t SELECT * RENAME (a AS b) FROM o;", "EXCEPT"),
            ("INSERT INTO t SELECT TOP 5 a FROM o;", "LIMIT n"),
            (
                "INSERT INTO t SELECT a FROM o LIMIT 1, 2;",
                "LIMIT count OFFSET offset",
            ),
            (
                "INSERT INTO t SELECT TRANSFORM(a, x -> x + 1) FROM o;",
                "not Flink SQL",
            ),
        ] {
            match parse("f.sql", sql) {
                Err(err) if err.starts_with("f.sql:1:") && err.contains(why) => {}
                other => failed.push(format!("{sql}: {other:?}")),
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn flink_expressions_pass() {
        for expr in [
            "a",
            "o.a",
            "`db`.`o`.`a`",
            "1, 1.5, -2, 'x', 'it''s', TRUE, FALSE, NULL, X'0F', U&'\\0041'",
            "DATE '2024-01-01', TIME '10:00:00', TIMESTAMP '2024-01-01 10:00:00'",
            "INTERVAL '5' SECOND, INTERVAL '1' DAY, INTERVAL '1:30' HOUR TO MINUTE",
            "INTERVAL '10' MINUTES",
            "CAST(a AS INT), TRY_CAST(a AS BIGINT), CAST(a AS DECIMAL(10, 2))",
            "CASE WHEN a = 1 THEN 'x' WHEN a <> 2 THEN 'y' ELSE 'z' END, CASE a WHEN 1 THEN 2 END",
            "EXTRACT(YEAR FROM ts), EXTRACT(DOW FROM ts)",
            "POSITION('a' IN b), SUBSTRING(a FROM 1 FOR 2), SUBSTRING(a, 1, 2)",
            "TRIM(a), TRIM(BOTH 'x' FROM a), TRIM(LEADING FROM a)",
            "OVERLAY(a PLACING 'x' FROM 1 FOR 2)",
            "CEIL(a), FLOOR(a), CEIL(ts TO DAY), FLOOR(ts TO HOUR)",
            "a IS NULL, a IS NOT NULL, a IS TRUE, a IS NOT FALSE, a IS UNKNOWN, a IS NOT UNKNOWN",
            "a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b",
            "a IN (1, 2), a NOT IN (SELECT b FROM c), a BETWEEN 1 AND 2, a NOT BETWEEN 1 AND 2",
            "a LIKE 'x%', a NOT LIKE 'x!%' ESCAPE '!', a SIMILAR TO 'x', a NOT SIMILAR TO 'y'",
            "EXISTS (SELECT 1 FROM c), (SELECT MAX(b) FROM c), ((a + 1) * (b - 2)) / 3 % 4",
            "a || 'x', a = b, a <> b, a != b, a < b, a > b, a <= b, a >= b, NOT a, +a, -a",
            "a AND b OR c",
            "COUNT(*), COUNT(DISTINCT a), SUM(a) FILTER (WHERE b > 1)",
            "ROW_NUMBER() OVER (PARTITION BY a ORDER BY ts DESC)",
            "SUM(a) OVER (PARTITION BY b ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
            "ARRAY[1, 2], ARRAY['a'], a[1], a[1][2], m['k'], r.f, ROW(1, 'x'), ROW(a, b)",
            "MAP['a', 1], MAP['a', 1, 'b', 2]['b'], MAP[a, ARRAY[MAP[1, 2]]], `map`['k']",
            "JSON_VALUE(a, '$.b'), REGEXP(a, 'x'), CONVERT_TZ(a, 'UTC', 'Europe/Paris')",
            "a = ANY (SELECT b FROM c)",
            "CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE, CURRENT_TIME, LOCALTIME",
            "USER, CURRENT_USER, SESSION_USER, CAST(a AS STRING), CAST(a AS BYTES)",
            "o.*",
        ] {
            let sql = format!("INSERT INTO t SELECT {expr} FROM o;");
            let parsed = parse("ok.sql", &sql);
            assert!(parsed.is_ok(), "{expr}: {parsed:?}");
        }
        for sql in [
            "INSERT INTO t SELECT window_start, SUM(price) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end;",
            "INSERT INTO t SELECT * FROM TABLE(HOP(DATA => TABLE db.`orders`, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTES));",
            "INSERT INTO t SELECT o.id, r.rate FROM o JOIN r FOR SYSTEM_TIME AS OF o.ts ON o.c = r.c;",
            "INSERT INTO t SELECT a FROM o GROUP BY GROUPING SETS ((a), ()) HAVING COUNT(*) > 1 ORDER BY a LIMIT 10 OFFSET 2;",
            "INSERT INTO t SELECT a FROM o GROUP BY CUBE (a, b);",
            "INSERT INTO t SELECT a FROM (SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY ts) AS rn FROM o) WHERE rn = 1;",
            "CREATE TABLE t (price INT, q INT, total AS price * q, `offset` BIGINT METADATA VIRTUAL, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'kafka');",
            "CREATE VIEW v AS SELECT a, COUNT(*) OVER (PARTITION BY a ORDER BY ts) FROM o;",
            "SET 'table.exec.state.ttl' = '1h';",
            "INSERT INTO t SELECT a, w FROM o, LATERAL TABLE(split(a)) AS s(w);",
            "INSERT INTO t SELECT a, x FROM o CROSS JOIN UNNEST(o.arr) AS u (x);",
            "INSERT INTO t SELECT * FROM o MATCH_RECOGNIZE (PARTITION BY a ORDER BY ts MEASURES A.a AS x PATTERN (A B) DEFINE A AS A.a > 1);",
        ] {
            let parsed = parse("ok.sql", sql);
            assert!(parsed.is_ok(), "{sql}: {parsed:?}");
        }
    }
}
