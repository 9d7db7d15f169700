//! Route templates in ASP.NET Core's syntax, which the host routes with: `products/{id}`,
//! `{id:int}`, `{id?}`, `{id=7}`, `{*rest}`, and segments that mix text and parameters
//! (`{name}.{ext}`, `p{id}`). One parser and one matcher, for the handler's router and for
//! funchost, which routes as the host does. A template the host would refuse to load is an
//! error here too. Literal text matches ignoring ASCII case, and parameter values are
//! percent-decoded.

use std::fmt::Write;

use crate::http::query::decode_path;

/// A parsed route template, such as `api/products/{id:int}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{id}`: the whole segment; with `optional` it may be left out.
    Param(Param),
    /// Text and parameters, never two parameters in a row: `{name}.{ext?}`, `p{id}`.
    Complex(Vec<Part>),
    /// `{*rest}` or `{**rest}`: every remaining segment, joined with `/`; maybe none (then
    /// its default, if it has one).
    CatchAll(Param),
}

/// A part of a complex segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(Param),
}

/// A parameter: `{name:constraint...}`, optional (`{name?}`) or with a default (`{name=7}`),
/// which a whole-segment parameter takes when its segment is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Param {
    name: String,
    constraints: Vec<String>,
    optional: bool,
    default: Option<String>,
}

/// The inline constraints ASP.NET Core knows (its default constraint map); the host refuses a
/// route naming any other.
const CONSTRAINTS: [&str; 19] = [
    "int",
    "bool",
    "datetime",
    "decimal",
    "double",
    "float",
    "guid",
    "long",
    "minlength",
    "maxlength",
    "length",
    "min",
    "max",
    "range",
    "alpha",
    "regex",
    "required",
    "file",
    "nonfile",
];

impl Template {
    /// Parses `template`, which may start with `/` or `~/` and end with `/`.
    ///
    /// # Errors
    /// What ASP.NET Core's route parser refuses, in one line: a doubled `/`, a leading `~`
    /// without `/`, an unmatched brace, an empty or ill-formed parameter name, a name used
    /// twice, an unknown constraint, two parameters in a row, a catch-all that is not the last
    /// segment or not alone in it, an optional parameter inside a segment but for a last
    /// `.{ext?}`, a literal with `?`.
    pub fn parse(template: &str) -> Result<Template, String> {
        let trimmed = (template.strip_prefix("~/"))
            .or_else(|| template.strip_prefix('/'))
            .unwrap_or(template);
        if trimmed.starts_with('~') {
            return Err("a route cannot start with '~' unless it is '~/'".to_string());
        }
        if trimmed.starts_with('/') || trimmed.contains("//") {
            return Err("'/' cannot appear twice in a row".to_string());
        }
        // Most routes are plain paths: the parser's 5 KB of code then never runs, and stays
        // out of what an idle handler maps (link/profile.sh).
        if !trimmed.contains(['{', '}', '?']) {
            return Ok(Template::literal(trimmed));
        }
        Template::parse_parameters(trimmed)
    }

    #[inline(never)]
    fn parse_parameters(template: &str) -> Result<Template, String> {
        let texts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(texts.len());
        let mut names: Vec<String> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let segment = segment(text)?;
            let params: Vec<&str> = match &segment {
                Segment::Literal(_) => Vec::new(),
                Segment::Param(p) => vec![&p.name],
                Segment::CatchAll(p) => vec![&p.name],
                Segment::Complex(parts) => parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Param(p) => Some(p.name.as_str()),
                        Part::Literal(_) => None,
                    })
                    .collect(),
            };
            for name in params {
                if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    return Err(format!("the parameter {name:?} appears more than once"));
                }
                names.push(name.to_string());
            }
            if matches!(segment, Segment::CatchAll(_)) && i + 1 < texts.len() {
                return Err(format!(
                    "the catch-all parameter {text:?} is not the last segment"
                ));
            }
            segments.push(segment);
        }
        Ok(Template { segments })
    }

    /// A template of literal segments only, such as a function's name: braces are text.
    pub fn literal(path: &str) -> Template {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| Segment::Literal(s.to_string()))
            .collect();
        Template { segments }
    }

    /// The route values if the segments of a percent-encoded path (`segments`) match, in
    /// template order. Only a value is copied: a template without parameters allocates nothing.
    pub fn matches<'p>(
        &self,
        mut rest: impl Iterator<Item = &'p str>,
    ) -> Option<Vec<(String, String)>> {
        let mut values = Vec::new();
        for pattern in &self.segments {
            match pattern {
                Segment::Literal(literal) => {
                    if !decode_path(rest.next()?).eq_ignore_ascii_case(literal) {
                        return None;
                    }
                }
                Segment::Param(param) => {
                    let value = match (rest.next(), &param.default) {
                        (Some(value), _) => decode_path(value).into_owned(),
                        (None, Some(default)) => default.clone(),
                        (None, None) if param.optional => continue,
                        (None, None) => return None,
                    };
                    if !param.accepts(&value) {
                        return None;
                    }
                    values.push((param.name.clone(), value));
                }
                Segment::Complex(parts) => {
                    match_complex(parts, &decode_path(rest.next()?), &mut values)?;
                }
                Segment::CatchAll(param) => {
                    let value: Vec<_> = rest.by_ref().map(decode_path).collect();
                    let value = match (value.is_empty(), &param.default) {
                        (false, _) => value.join("/"),
                        (true, Some(default)) => default.clone(),
                        (true, None) => continue,
                    };
                    if !param.accepts(&value) {
                        return None;
                    }
                    values.push((param.name.clone(), value));
                }
            }
        }
        rest.next().is_none().then_some(values)
    }

    /// The template as a path, e.g. `/api/products/{id}`: parameters by name only.
    pub fn path(&self) -> String {
        let mut path = String::new();
        // `?` where the parameter may be left out: optional, or a whole segment with a default.
        let param = |path: &mut String, p: &Param, may_be_left_out: bool| {
            let _ = write!(
                path,
                "{{{}{}}}",
                p.name,
                if may_be_left_out { "?" } else { "" }
            );
        };
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(s) => path.push_str(s),
                Segment::Param(p) => param(&mut path, p, p.optional || p.default.is_some()),
                Segment::Complex(parts) => {
                    for part in parts {
                        match part {
                            Part::Literal(s) => path.push_str(s),
                            Part::Param(p) => param(&mut path, p, p.optional),
                        }
                    }
                }
                Segment::CatchAll(p) => {
                    let _ = write!(path, "{{*{}}}", p.name);
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}

impl Param {
    /// Whether `value` satisfies every inline constraint.
    fn accepts(&self, value: &str) -> bool {
        self.constraints.iter().all(|c| satisfies(c, value))
    }
}

/// The segments of a percent-encoded path, for `Template::matches`: empty ones are ignored, as
/// they are in templates.
pub fn segments(path: &str) -> impl Iterator<Item = &str> + Clone {
    path.split('/').filter(|s| !s.is_empty())
}

/// One segment of a template: text and `{...}` parameters (`{{` and `}}` are braces as text).
fn segment(text: &str) -> Result<Segment, String> {
    let mut parts: Vec<Part> = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|&(_, c)| c == '{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().is_some_and(|&(_, c)| c == '}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let end = closing_brace(text, at)
                    .ok_or_else(|| format!("{text:?} has a '{{' with no matching '}}'"))?;
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                } else if matches!(parts.last(), Some(Part::Param(_))) {
                    return Err(format!(
                        "{text:?} has two parameters in a row (separate them with text or '/')"
                    ));
                }
                let inner = &text[at + 1..end];
                if let Some(name) = inner.strip_prefix('*') {
                    if text != format!("{{{inner}}}") {
                        return Err(format!(
                            "{text:?}: a catch-all parameter must be a whole segment"
                        ));
                    }
                    let param = param(name.trim_start_matches('*'), text)?;
                    if param.optional {
                        return Err(format!(
                            "{text:?}: a catch-all parameter cannot be optional"
                        ));
                    }
                    return Ok(Segment::CatchAll(param));
                }
                parts.push(Part::Param(param(inner, text)?));
                while chars.peek().is_some_and(|&(i, _)| i <= end) {
                    chars.next();
                }
            }
            '}' => return Err(format!("{text:?} has a '}}' with no matching '{{'")),
            '?' => return Err(format!("{text:?}: text in a route cannot contain '?'")),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    match parts.len() {
        1 => Ok(match parts.pop() {
            Some(Part::Param(p)) => Segment::Param(p),
            Some(Part::Literal(s)) => Segment::Literal(s),
            None => unreachable!("one part"),
        }),
        _ => {
            // An optional parameter in a segment with others only as its last part, after a
            // period: `{name}.{ext?}` (ASP.NET's one exception).
            for (i, part) in parts.iter().enumerate() {
                let Part::Param(p) = part else { continue };
                let last = i + 1 == parts.len();
                let after_period = i > 0 && parts[i - 1] == Part::Literal(".".to_string());
                if p.optional && !(last && after_period) {
                    return Err(format!(
                        "{text:?}: an optional parameter inside a segment must be the last part, \
                         after a '.' (as in {{name}}.{{ext?}})"
                    ));
                }
            }
            Ok(Segment::Complex(parts))
        }
    }
}

/// Where the parameter opened at `open` closes: the next `}`, skipping a `}}` escape inside
/// a constraint's parentheses (`{id:regex(^\\d{{3}}$)}`).
fn closing_brace(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'}' if depth > 0 && bytes.get(i + 1) == Some(&b'}') => i += 1,
            b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `{...}` (after any `*`): `name`, then `:constraint`s, then `?` or `=default`.
fn param(inner: &str, text: &str) -> Result<Param, String> {
    let (inner, default) = match split_outside_parens(inner, '=') {
        (inner, Some(default)) => (inner, Some(default.to_string())),
        (inner, None) => (inner, None),
    };
    let (inner, optional) = match inner.strip_suffix('?') {
        Some(inner) => (inner, true),
        None => (inner, false),
    };
    // `{id?=3}`, or `{id=3?}`, which ASP.NET reads the same way.
    let default_then_optional = default.as_deref().is_some_and(|d| d.ends_with('?'));
    if default.is_some() && (optional || default_then_optional) {
        return Err(format!(
            "{text:?}: an optional parameter cannot have a default value"
        ));
    }
    let mut pieces = inner.split(':');
    let name = pieces.next().unwrap_or_default();
    let bad = |c: char| matches!(c, '{' | '}' | '/' | '?' | '*' | '=' | '(' | ')');
    if name.is_empty() || name.contains(bad) {
        return Err(format!(
            "{text:?}: {name:?} is not a parameter name (one or more characters, none of {{ }} / ? * =)"
        ));
    }
    let mut constraints = Vec::new();
    let rest = &inner[name.len()..];
    // An empty constraint (`{id:}`) is skipped, as ASP.NET skips it.
    for constraint in split_constraints(rest)
        .into_iter()
        .filter(|c| !c.is_empty())
    {
        let kind = constraint.split('(').next().unwrap_or_default();
        if !CONSTRAINTS.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return Err(format!(
                "{text:?}: {kind:?} is not a route constraint ({})",
                CONSTRAINTS.join(", ")
            ));
        }
        constraints.push(lower_kind(constraint));
    }
    Ok(Param {
        name: name.to_string(),
        constraints,
        optional,
        default,
    })
}

/// `text` split at its first `separator` outside parentheses.
fn split_outside_parens(text: &str, separator: char) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == separator && depth == 0 => return (&text[..i], Some(&text[i + 1..])),
            _ => {}
        }
    }
    (text, None)
}

/// The `:constraint` pieces of `rest` (which starts with `:` or is empty), split outside
/// parentheses, so `:regex(a:b)` is one.
fn split_constraints(mut rest: &str) -> Vec<&str> {
    let mut out = Vec::new();
    while let Some(after) = rest.strip_prefix(':') {
        let (one, more) = split_outside_parens(after, ':');
        out.push(one);
        rest = more.map_or("", |m| &rest[rest.len() - m.len() - 1..]);
    }
    out
}

/// A constraint with its kind lower-cased and its arguments as written: `Min(1)` → `min(1)`.
fn lower_kind(constraint: &str) -> String {
    match constraint.split_once('(') {
        Some((kind, args)) => format!("{}({args}", kind.to_ascii_lowercase()),
        None => constraint.to_ascii_lowercase(),
    }
}

/// Matches a complex segment's parts against one decoded path segment, as ASP.NET Core does:
/// from the right, each literal found at its last place left of the text still unmatched, each
/// parameter taking the (non-empty) text between. A last `.{ext?}` may be left out.
fn match_complex(parts: &[Part], text: &str, values: &mut Vec<(String, String)>) -> Option<()> {
    if let Some(found) = match_parts(parts, text) {
        values.extend(found);
        return Some(());
    }
    // Without the optional `.{ext?}`: only when the text does not end with the period, as
    // ASP.NET does (`7.` is no match for `{id}.{ext?}`).
    match parts {
        [head @ .., Part::Literal(dot), Part::Param(p)]
            if p.optional && dot == "." && !text.ends_with('.') =>
        {
            values.extend(match_parts(head, text)?);
            Some(())
        }
        _ => None,
    }
}

/// The values of `parts` matched against all of `text`, in template order.
fn match_parts(parts: &[Part], text: &str) -> Option<Vec<(String, String)>> {
    let lower = text.to_ascii_lowercase();
    let mut end = text.len();
    let mut pending: Option<&Param> = None;
    let mut values = Vec::new();
    for (i, part) in parts.iter().enumerate().rev() {
        match part {
            Part::Literal(literal) => {
                // A parameter on its right keeps at least one character (ASP.NET looks for
                // the literal left of the last one).
                let limit = match pending {
                    Some(_) => end - text[..end].chars().next_back()?.len_utf8(),
                    None => end,
                };
                let at = lower[..limit].rfind(&literal.to_ascii_lowercase())?;
                // The rightmost part, a literal, must end the text.
                if i + 1 == parts.len() && at + literal.len() != text.len() {
                    return None;
                }
                if let Some(param) = pending.take() {
                    let value = text.get(at + literal.len()..end)?;
                    if value.is_empty() || !param.accepts(value) {
                        return None;
                    }
                    values.push((param.name.clone(), value.to_string()));
                }
                end = at;
            }
            Part::Param(param) => pending = Some(param),
        }
    }
    match pending {
        // The leftmost part, a parameter, takes all that is left.
        Some(param) => {
            let value = &text[..end];
            if value.is_empty() || !param.accepts(value) {
                return None;
            }
            values.push((param.name.clone(), value.to_string()));
        }
        None if end != 0 => return None,
        None => {}
    }
    values.reverse();
    Some(values)
}

/// Whether `value` reads as a decimal number: `-1.5`, `2e10`. Checked by shape: parsing it as
/// an `f64` brought 10 KB of tables and code into the binary for this one test.
fn is_decimal(value: &str) -> bool {
    let (mantissa, exponent) = match value.find(['e', 'E']) {
        Some(at) => (&value[..at], Some(&value[at + 1..])),
        None => (value, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let mantissa_ok = (digits(whole) || digits(fraction))
        && (whole.is_empty() || digits(whole))
        && (fraction.is_empty() || digits(fraction));
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Whether `value` satisfies the inline constraint `constraint` (kind lower-cased). `regex`,
/// `file` and `nonfile` accept anything: std has no regular expressions, and the host has
/// already matched a forwarded request.
fn satisfies(constraint: &str, value: &str) -> bool {
    let (kind, args) = match constraint.split_once('(') {
        Some((kind, args)) => (kind, args.strip_suffix(')').unwrap_or(args)),
        None => (constraint, ""),
    };
    let numbers = || -> Vec<i64> {
        args.split(',')
            .filter_map(|a| a.trim().parse().ok())
            .collect()
    };
    let int = || value.parse::<i64>().ok();
    let chars = value.chars().count() as i64;
    match kind {
        // .NET's Int32 and Int64: a sign, digits, and in range.
        "int" => value.parse::<i32>().is_ok(),
        "long" => value.parse::<i64>().is_ok(),
        "decimal" | "double" | "float" => is_decimal(value),
        "alpha" => value.bytes().all(|b| b.is_ascii_alphabetic()),
        "bool" => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        "guid" => {
            let hex: Vec<u8> = value.bytes().filter(|&b| b != b'-').collect();
            hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit)
        }
        "required" => !value.is_empty(),
        "min" => matches!((int(), &numbers()[..]), (Some(v), [min]) if v >= *min),
        "max" => matches!((int(), &numbers()[..]), (Some(v), [max]) if v <= *max),
        "range" => matches!((int(), &numbers()[..]), (Some(v), [lo, hi]) if *lo <= v && v <= *hi),
        "minlength" => matches!(numbers()[..], [min] if chars >= min),
        "maxlength" => matches!(numbers()[..], [max] if chars <= max),
        "length" => match numbers()[..] {
            [n] => chars == n,
            [lo, hi] => lo <= chars && chars <= hi,
            _ => true,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_as_aspnet_routes_do() {
        // (template, path, the route values, or None for no match)
        type Case = (
            &'static str,
            &'static str,
            Option<&'static [(&'static str, &'static str)]>,
        );
        let cases: &[Case] = &[
            ("api/HelloRust", "/API/hellorust/", Some(&[])),
            ("api/HelloRust", "/api/HelloRust/x", None),
            ("api/HelloRust", "/HelloRust", None),
            ("v1/api/x", "/v1/api/x", Some(&[])),
            (
                "api/products/{id}",
                "/api/products/a%20b",
                Some(&[("id", "a b")]),
            ),
            ("api/products/{id}", "/api/products", None),
            ("api/products/{id}", "/api/products/7/x", None),
            ("api/p/{id?}", "/api/p", Some(&[])),
            ("api", "/api/", Some(&[])),
            (
                "api/products/{id:int}",
                "/api/products/-7",
                Some(&[("id", "-7")]),
            ),
            ("api/products/{id:int}", "/api/products/seven", None),
            (
                "api/p/{c:alpha}/{id:int?}",
                "/api/p/books",
                Some(&[("c", "books")]),
            ),
            ("api/p/{c:alpha}/{id:int?}", "/api/p/b00ks/1", None),
            ("api/p/{c:alpha}/{id:int?}", "/api/p/books/x", None),
            ("api/p/{id:int:min(1)}", "/api/p/3", Some(&[("id", "3")])),
            ("api/p/{ok:bool}", "/api/p/TRUE", Some(&[("ok", "TRUE")])),
            (
                "api/p/{g:guid}",
                "/api/p/0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11",
                Some(&[("g", "0b1e4c6a-3c7e-4f7e-9a61-8f3f0f5b2d11")]),
            ),
            ("api/p/{g:guid}", "/api/p/0b1e4c6a", None),
            ("api/p/{id=5}", "/api/p", Some(&[("id", "5")])),
            ("api/p/{id:int=5}", "/api/p/6", Some(&[("id", "6")])),
            (
                "api/files/{*rest}",
                "/api/files/a/b%2Fc/d",
                Some(&[("rest", "a/b/c/d")]),
            ),
            ("api/files/{**rest}", "/api/files", Some(&[])),
            ("{a}/{b}", "/x/y", Some(&[("a", "x"), ("b", "y")])),
            // Segments of text and parameters: literals found from the right, each parameter
            // taking what lies between, never nothing.
            (
                "p/{id}.{fmt}",
                "/p/7.json",
                Some(&[("id", "7"), ("fmt", "json")]),
            ),
            (
                "p/{id}.{fmt}",
                "/p/a.b.c",
                Some(&[("id", "a.b"), ("fmt", "c")]),
            ),
            ("p/{id}.{fmt}", "/p/7.", None),
            ("p/{id}.{fmt}", "/p/.json", None),
            ("p/{id}.{fmt}", "/p/7json", None),
            ("p/p{id}", "/p/P7", Some(&[("id", "7")])),
            ("p/p{id}", "/p/p", None),
            ("p/p{id:int}", "/p/px", None),
            ("p/{id}x", "/p/7x", Some(&[("id", "7")])),
            ("p/{id}x", "/p/7xy", None),
            ("p/a{b}c{d}", "/p/a1c2", Some(&[("b", "1"), ("d", "2")])),
            ("p/a{b}c{d}", "/p/xa1c2", None),
            ("p/{id}.{ext?}", "/p/7", Some(&[("id", "7")])),
            // As ASP.NET's matcher (MatchComplexSegmentCore), found by review: a literal is
            // looked for left of the last character when a parameter follows it.
            ("p/p{id}", "/p/pp", Some(&[("id", "p")])),
            ("p/{a}.{b}", "/p/x.y.", Some(&[("a", "x"), ("b", "y.")])),
            ("p/{a}-{b}", "/p/x--", Some(&[("a", "x"), ("b", "-")])),
            ("p/{id}.{ext?}", "/p/7.", None),
            (
                "p/{id}.{ext?}",
                "/p/a.b.",
                Some(&[("id", "a"), ("ext", "b.")]),
            ),
            ("p/{a}é{b}", "/p/xéyé", Some(&[("a", "x"), ("b", "yé")])),
            ("p/{a}-{b=5}", "/p/x-y", Some(&[("a", "x"), ("b", "y")])),
            ("p/{*rest:int}", "/p/abc", None),
            ("p/{*rest:int}", "/p/12", Some(&[("rest", "12")])),
            ("p/{*rest=d}", "/p", Some(&[("rest", "d")])),
            ("p/{id:}", "/p/7", Some(&[("id", "7")])),
            ("p/{n:int}", "/p/+5", Some(&[("n", "+5")])),
            ("p/{n:int}", "/p/99999999999", None),
            (
                "p/{n:long}",
                "/p/99999999999",
                Some(&[("n", "99999999999")]),
            ),
            (
                "p/{id}.{ext?}",
                "/p/7.pdf",
                Some(&[("id", "7"), ("ext", "pdf")]),
            ),
            // The constraints with arguments.
            ("p/{n:min(2)}", "/p/1", None),
            ("p/{n:range(1,5)}", "/p/5", Some(&[("n", "5")])),
            ("p/{n:range(1,5)}", "/p/6", None),
            ("p/{s:length(2)}", "/p/abc", None),
            ("p/{s:maxlength(3)}", "/p/abc", Some(&[("s", "abc")])),
            ("p/{x:double}", "/p/1.5", Some(&[("x", "1.5")])),
            ("p/{x:double}", "/p/x", None),
            ("p/{x:double}", "/p/-2e10", Some(&[("x", "-2e10")])),
            ("p/{x:decimal}", "/p/.5", Some(&[("x", ".5")])),
            ("p/{x:float}", "/p/1.", Some(&[("x", "1.")])),
            ("p/{x:double}", "/p/1e", None),
            ("p/{x:double}", "/p/.", None),
            ("p/{x:double}", "/p/1.2.3", None),
            ("p/{n:long}", "/p/x", None),
            ("p/{ok:bool}", "/p/yes", None),
            ("p/{s:required}", "/p/x", Some(&[("s", "x")])),
            ("p/{n:max(5)}", "/p/6", None),
            ("p/{n:int:min(5)}", "/p/3", None),
            ("p/{s:minlength(3)}", "/p/ab", None),
            ("p/{s:maxlength(3)}", "/p/abcd", None),
            ("p/{s:length(2,3)}", "/p/a", None),
            ("p/{s:length(2,3)}", "/p/ab", Some(&[("s", "ab")])),
            ("p/{s:length(2,3)}", "/p/abcd", None),
            // A regex's parentheses hold `:`, `=` and `}}` that would otherwise end a piece.
            (
                "p/{id:regex(^\\d{{3}}$)}x",
                "/p/123x",
                Some(&[("id", "123")]),
            ),
            ("p/{t:regex(a:b=c)}", "/p/z", Some(&[("t", "z")])),
            ("p/{t:regex(a)=d}", "/p", Some(&[("t", "d")])),
        ];
        for (template, path, expected) in cases {
            let got = Template::parse(template).unwrap().matches(segments(path));
            let expected = expected.map(|e| {
                e.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, expected, "{template} {path}");
        }
    }

    #[test]
    fn a_template_shows_as_a_path_of_parameter_names() {
        for (template, path) in [
            ("api/products/{id:int}", "/api/products/{id}"),
            ("/v2/{x?}/{y=1}/{*rest}", "/v2/{x?}/{y?}/{*rest}"),
            ("", "/"),
        ] {
            assert_eq!(
                Template::parse(template).unwrap().path(),
                path,
                "{template}"
            );
        }
        assert_eq!(
            Template::parse("p/{id}.{x?}").unwrap().path(),
            "/p/{id}.{x?}"
        );
    }

    #[test]
    fn templates_the_host_refuses_are_errors() {
        for (template, why) in [
            ("items/{id", "no matching"),
            ("items/id}", "no matching"),
            ("items/{}", "not a parameter name"),
            ("items/{a/b}", "no matching"),
            ("items/{id}/{ID}", "more than once"),
            ("items/{*rest}/x", "not the last segment"),
            ("items/x{*rest}", "whole segment"),
            ("items/{a}{b}", "two parameters in a row"),
            ("items/{id:foo}", "not a route constraint"),
            ("items/{id?=3}", "cannot have a default"),
            ("items/{id=3?}", "cannot have a default"),
            ("items/{id?}x", "must be the last part"),
            ("items/{a}-{b?}", "must be the last part"),
            ("items/{*rest?}", "cannot be optional"),
            ("items/a?b", "cannot contain '?'"),
            ("p//x", "twice in a row"),
            ("api//items/{id}", "twice in a row"),
            ("//x", "twice in a row"),
            ("~x", "cannot start with '~'"),
        ] {
            let error = Template::parse(template).expect_err(template);
            assert!(error.contains(why), "{template}: {error}");
        }
        // Escaped braces are text, and a regex may hold what would end a parameter.
        for template in [
            "a{{b}}",
            "p/{id:regex(^\\d{{3}}$)}",
            "p/{x:Int}",
            "{a}.{b}.{c?}",
        ] {
            assert!(Template::parse(template).is_ok(), "{template}");
        }
        // A leading `/` or `~/` is trimmed and a trailing `/` allowed, as ASP.NET does.
        for (template, path) in [
            ("/items/{id}", "/items/7"),
            ("~/items/{id}", "/items/7"),
            ("items/{id}/", "/items/7"),
            ("/items", "/items"),
            ("items/", "/items"),
        ] {
            let parsed = Template::parse(template).expect(template);
            assert!(parsed.matches(segments(path)).is_some(), "{template}");
            assert!(parsed.matches(segments("/other/7")).is_none(), "{template}");
        }
    }
}
