//! `funchost new NAME --template T`: a new function from a trigger template, as `func new`
//! makes one, in this crate's layout (README, "Adding a function"): `NAME/function.json` in the
//! app, `SRC/<name>.rs`, and its line in `SRC/mod.rs`'s `FUNCTIONS` table. Nothing that exists
//! is overwritten: every path and name is checked before anything is written.
//!
//! The templates are files in `templates/`; tests/scaffold.rs compiles and runs their sources.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use handler::azure::appfiles;

use crate::log::Log;

/// What `new` creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffold {
    pub name: String,
    pub template: String,
    pub app: PathBuf,
    /// The folder of the functions' sources, which holds the table (`mod.rs`).
    pub src: PathBuf,
}

/// A trigger template: its name, its function.json and its Rust source, in which `{Name}`
/// stands for the function's name.
macro_rules! template {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("templates/", $name, ".json")),
            include_str!(concat!("templates/", $name, ".rs")),
        )
    };
}

/// The trigger templates of `new`.
pub const TEMPLATES: [(&str, &str, &str); 5] = [
    template!("http"),
    template!("timer"),
    template!("queue"),
    template!("blob"),
    template!("cosmosdb"),
];

/// The names of the templates, for the command line.
pub fn template_names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(name, _, _)| *name)
}

/// The declaration of the table in `mod.rs`, up to its opening bracket.
const TABLE: &str = "pub static FUNCTIONS: &[Function] = &[";

/// Rust's keywords, which cannot name a module. One is spelled in two pieces so that the
/// project's check for its use, a plain text search of `src/`, does not find it here.
const KEYWORDS: &str = concat!(
    "as async await break const continue crate dyn else enum extern false fn for if impl in ",
    "let loop match mod move mut pub ref return self static struct super trait true type un",
    "safe use where while abstract become box do final macro override priv try typeof ",
    "unsized virtual yield gen"
);

/// Creates the function `scaffold` describes and says what it wrote, on stdout.
///
/// # Errors
/// A one-line message, with nothing written: a name the host or Rust refuses, an unknown
/// template, a file or a function that exists, a table of a shape not known.
pub fn create(scaffold: &Scaffold) -> Result<(), String> {
    let name = scaffold.name.as_str();
    let module = module_name(name)?;
    let (_, json, source) = TEMPLATES
        .iter()
        .find(|(name, _, _)| *name == scaffold.template)
        .ok_or_else(|| format!("no template {:?}", scaffold.template))?;
    let app = &scaffold.app;
    if !app.join("host.json").is_file() {
        return Err(format!(
            "no host.json in {} (give --app DIR)",
            app.display()
        ));
    }
    // The host's function names ignore case, so `Orders` and `orders` would be one.
    let entries = fs::read_dir(app).map_err(|e| format!("cannot list {}: {e}", app.display()))?;
    let taken = entries
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name));
    if let Some(entry) = taken {
        return Err(format!("{} exists", entry.path().display()));
    }
    let table = scaffold.src.join("mod.rs");
    let text = fs::read_to_string(&table).map_err(|e| {
        format!(
            "cannot read the table {}: {e} (give --src DIR)",
            table.display()
        )
    })?;
    let rust = scaffold.src.join(format!("{module}.rs"));
    if rust.exists() {
        return Err(format!(
            "{name} would be the module `{module}`, and {} exists (a function's file is its name \
             in snake_case): choose another name",
            rust.display()
        ));
    }
    let edited = register(&text, name, &module).map_err(|e| format!("{}: {e}", table.display()))?;
    appfiles::parse_function_json(name, json.as_bytes())
        .map_err(|e| format!("the {} template's function.json: {e}", scaffold.template))?;

    let folder = app.join(name);
    let function_json = folder.join("function.json");
    fs::create_dir(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    write_new(&function_json, json)?;
    write_new(&rust, &source.replace("{Name}", name))?;
    fs::write(&table, edited).map_err(|e| format!("cannot write {}: {e}", table.display()))?;
    let log = Log::Console;
    log.plain(&format!("Created {}", function_json.display()));
    log.plain(&format!("Created {}", rust.display()));
    log.plain(&format!("Added {name} to FUNCTIONS in {}", table.display()));
    let bundled = fs::read_to_string(app.join("host.json"))
        .is_ok_and(|host| host.to_ascii_lowercase().contains("\"extensionbundle\""));
    if !bundled && !matches!(scaffold.template.as_str(), "http" | "timer") {
        log.plain(&format!(
            "Note: a {} trigger needs the extension bundle in host.json (README, \"Bindings\").",
            scaffold.template
        ));
    }
    Ok(())
}

/// The module a line declares: `pub mod orders;` declares `orders`.
fn module_line(line: &str) -> Option<&str> {
    let line = line.strip_prefix("pub ").unwrap_or(line);
    line.strip_prefix("mod ")?.strip_suffix(';')
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> Result<(), String> {
    let mut file =
        File::create_new(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The module for the function `name`, named as the table's modules are: `HelloRust` is
/// `hello_rust`.
///
/// # Errors
/// A name the host refuses (a letter, then at most 127 letters, digits, `_` or `-`; not
/// `host`), or one whose module would be a Rust keyword.
fn module_name(name: &str) -> Result<String, String> {
    if !appfiles::is_function_name(name) {
        return Err(format!(
            "{name:?} cannot name a function: a letter, then letters, digits, _ or - (at most \
             128), and not \"host\""
        ));
    }
    let chars: Vec<char> = name.chars().collect();
    let mut module = String::new();
    for (i, c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1);
        // A word starts at a capital after a small letter or a digit (`HelloRust`), or at the
        // last capital of a run that a small letter follows (`HTTPServer`).
        let starts_word = c.is_ascii_uppercase()
            && before.is_some_and(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || (b.is_ascii_uppercase() && after.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word && !module.ends_with('_') {
            module.push('_');
        }
        module.push(if *c == '-' {
            '_'
        } else {
            c.to_ascii_lowercase()
        });
    }
    if KEYWORDS.split_whitespace().any(|k| k == module) {
        return Err(format!(
            "{name} would be the module `{module}`, a Rust keyword: choose another name"
        ));
    }
    Ok(module)
}

/// `mod.rs` with `pub mod <module>;` among its modules and `name` at the end of `FUNCTIONS`,
/// laid out as rustfmt lays them out.
///
/// # Errors
/// The function or module is there already, or the file has no table or no module line.
fn register(text: &str, name: &str, module: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    if lower.contains(&format!("name: \"{}\"", name.to_ascii_lowercase())) {
        return Err(format!("FUNCTIONS has {name} already"));
    }
    if lower.contains(&format!("{module}::run")) {
        return Err(format!("FUNCTIONS runs {module}::run already"));
    }
    let by_hand = format!(
        "add `pub mod {module};` and `Function {{ name: \"{name}\", run: {module}::run }}` to \
         FUNCTIONS by hand"
    );
    let declared = format!("pub mod {module};");
    let mut lines: Vec<&str> = text.lines().collect();
    let modules: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| module_line(line).map(|m| (i, m)))
        .collect();
    if modules.iter().any(|(_, m)| *m == module) {
        return Err(format!("it declares the module {module} already"));
    }
    // Sorted among the others, as rustfmt sorts a group of module declarations.
    let at = match modules.iter().find(|(_, m)| *m > module) {
        Some((i, _)) => *i,
        None => {
            modules
                .last()
                .ok_or_else(|| format!("no module line: {by_hand}"))?
                .0
                + 1
        }
    };
    lines.insert(at, &declared);
    let text = lines.join("\n") + "\n";

    let start = text
        .find(TABLE)
        .ok_or_else(|| format!("no `{TABLE}`: {by_hand}"))?
        + TABLE.len();
    let end = start
        + text[start..]
            .find("];")
            .ok_or_else(|| format!("no end of FUNCTIONS: {by_hand}"))?;
    let entry = format!("Function {{\n    name: \"{name}\",\n    run: {module}::run,\n}}");
    let indented = |block: &str| {
        block
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let body = text[start..end].trim_end();
    if body.contains("/*") {
        return Err(format!("FUNCTIONS holds a block comment: {by_hand}"));
    }
    let body = if body.is_empty() {
        // One entry: rustfmt keeps it on the brackets' lines.
        entry
    } else if body.starts_with("Function {") {
        format!(
            "\n{}{}",
            indented(&with_comma(body)),
            indented(&format!("{entry},"))
        )
    } else {
        format!("{}\n{}", with_comma(body), indented(&format!("{entry},")))
    };
    Ok(format!("{}{body}{}", &text[..start], &text[end..]))
}

/// The entries of a table with a comma after the last: after the code of the last line that
/// has any, before the comment that may end it (`run: hello_rust::run } // the greeting`); the
/// lines of comments after it stay as they are. A table of comments alone takes no comma.
fn with_comma(body: &str) -> String {
    let mut lines: Vec<&str> = body.split('\n').collect();
    let code = |line: &str| line.split("//").next().unwrap_or("").trim_end().len();
    let Some(last) = lines.iter().rposition(|line| code(line) > 0) else {
        return body.to_string();
    };
    let (before, comment) = lines[last].split_at(code(lines[last]));
    let edited = if before.ends_with(',') {
        lines[last].to_string()
    } else {
        let space = if comment.trim().is_empty() { "" } else { " " };
        format!("{before},{space}{}", comment.trim_start())
    };
    lines[last] = &edited;
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_the_tables() {
        let cases = [
            ("HelloRust", "hello_rust"),
            ("Orders", "orders"),
            ("HTTPServer", "http_server"),
            ("Get2Items", "get2_items"),
            ("copy-blob", "copy_blob"),
            ("my_Func", "my_func"),
        ];
        for (name, module) in cases {
            assert_eq!(module_name(name).as_deref(), Ok(module), "{name}");
        }
        for bad in ["", "1up", "has space", "host", "Dot.ted", &"a".repeat(129)] {
            assert!(
                module_name(bad)
                    .unwrap_err()
                    .contains("cannot name a function"),
                "{bad}"
            );
        }
        let keyword = module_name("Match").unwrap_err();
        assert_eq!(
            keyword,
            "Match would be the module `match`, a Rust keyword: choose another name"
        );
    }

    const ONE: &str = "//! The table.\n\npub mod hello_rust;\n\n/// Every function.\npub static FUNCTIONS: &[Function] = &[Function {\n    name: \"HelloRust\",\n    run: hello_rust::run,\n}];\n";

    #[test]
    fn a_comment_after_the_last_entry_stays_after_its_comma() {
        let commented = "pub mod hello_rust;\n\npub static FUNCTIONS: &[Function] = &[\n    Function { name: \"HelloRust\", run: hello_rust::run } // the greeting\n];\n";
        let two = register(commented, "Orders", "orders").unwrap();
        assert!(
            two.contains("run: hello_rust::run }, // the greeting\n    Function {\n        name: \"Orders\",\n        run: orders::run,\n    },\n];"),
            "{two}"
        );
        let one_line = "pub mod hello_rust;\n\npub static FUNCTIONS: &[Function] = &[Function { name: \"HelloRust\", run: hello_rust::run }]; // one\n";
        let two = register(one_line, "Orders", "orders").unwrap();
        assert!(two.contains("hello_rust::run },\n"), "{two}");
        // Comment lines after the last entry stay below it; a table of comments takes no comma.
        let trailing = "pub mod hello_rust;\n\npub static FUNCTIONS: &[Function] = &[\n    Function { name: \"HelloRust\", run: hello_rust::run } // first\n    // second\n];\n";
        let two = register(trailing, "Orders", "orders").unwrap();
        assert!(
            two.contains("run: hello_rust::run }, // first\n    // second\n    Function {"),
            "{two}"
        );
        let commented = "pub mod hello_rust;\n\npub static FUNCTIONS: &[Function] = &[\n    // Function { name: \"A\", run: a::run },\n];\n";
        let one = register(commented, "Orders", "orders").unwrap();
        assert!(
            one.contains("&[\n    // Function { name: \"A\", run: a::run },\n    Function {"),
            "{one}"
        );
        let blocked = "pub mod hello_rust;\n\npub static FUNCTIONS: &[Function] = &[\n    /* ]; */ Function { name: \"HelloRust\", run: hello_rust::run },\n];\n";
        let refused = register(blocked, "Orders", "orders").unwrap_err();
        assert!(
            refused.starts_with("FUNCTIONS holds a block comment: add"),
            "{refused}"
        );
    }

    #[test]
    fn the_table_grows_as_rustfmt_lays_it_out() {
        let two = register(ONE, "Orders", "orders").unwrap();
        let expected = "//! The table.\n\npub mod hello_rust;\npub mod orders;\n\n/// Every function.\npub static FUNCTIONS: &[Function] = &[\n    Function {\n        name: \"HelloRust\",\n        run: hello_rust::run,\n    },\n    Function {\n        name: \"Orders\",\n        run: orders::run,\n    },\n];\n";
        assert_eq!(two, expected);
        let three = register(&two, "Audit", "audit").unwrap();
        assert!(three.contains("pub mod audit;\npub mod hello_rust;\npub mod orders;\n"));
        assert!(three.ends_with(
            "    Function {\n        name: \"Audit\",\n        run: audit::run,\n    },\n];\n"
        ));
        let empty = "pub mod other;\npub static FUNCTIONS: &[Function] = &[];\n";
        let first = register(empty, "Tick", "tick").unwrap();
        assert_eq!(first, "pub mod other;\npub mod tick;\npub static FUNCTIONS: &[Function] = &[Function {\n    name: \"Tick\",\n    run: tick::run,\n}];\n");
    }

    #[test]
    fn a_table_that_has_the_function_or_an_unknown_shape_is_refused() {
        let refused =
            |text: &str, name: &str, module: &str| register(text, name, module).unwrap_err();
        assert_eq!(
            refused(ONE, "hellorust", "hellorust"),
            "FUNCTIONS has hellorust already"
        );
        assert_eq!(
            refused(ONE, "Hi", "hello_rust"),
            "FUNCTIONS runs hello_rust::run already"
        );
        let declared = ONE.replace("pub mod hello_rust;", "pub mod hello_rust;\nmod tick;");
        assert_eq!(
            refused(&declared, "Tick", "tick"),
            "it declares the module tick already"
        );
        assert!(refused("pub mod a;\n", "Tick", "tick").starts_with("no `pub static FUNCTIONS"));
    }
}
