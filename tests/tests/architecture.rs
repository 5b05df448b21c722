//! Architecture invariants (ARCHITECTURE.md), checked over `cargo metadata` and, for the module
//! layers inside a crate, over its sources.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every package reachable from `root` through normal (non-dev) dependencies.
fn closure(meta: &Value, root: &str) -> HashSet<String> {
    let mut names: HashMap<String, String> = HashMap::new();
    for p in meta["packages"].as_array().unwrap() {
        names.insert(p["id"].as_str().unwrap().into(), p["name"].as_str().unwrap().into());
    }
    let nodes: HashMap<String, Vec<String>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
                .map(|d| d["pkg"].as_str().unwrap().to_string())
                .collect();
            (n["id"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    let start = names.iter().find(|(_, n)| n.as_str() == root).map(|(id, _)| id.clone()).expect("root package");
    let mut seen = HashSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            stack.extend(nodes.get(&id).cloned().unwrap_or_default());
        }
    }
    seen.into_iter().map(|id| names[&id].clone()).collect()
}

#[test]
fn test_protocol_has_no_io_dependencies() {
    let deps = closure(&metadata(), "confab-protocol");
    for banned in ["tokio", "sqlx", "tauri", "axum", "confab-core", "confab-server"] {
        assert!(!deps.contains(banned), "confab-protocol must not depend on {banned}");
    }
}

#[test]
fn test_core_never_depends_on_tauri_or_the_server() {
    let deps = closure(&metadata(), "confab-core");
    for banned in ["tauri", "confab-server", "axum"] {
        assert!(!deps.contains(banned), "confab-core must not depend on {banned}");
    }
    assert!(deps.contains("confab-protocol"));
}

#[test]
fn test_server_never_depends_on_core() {
    let deps = closure(&metadata(), "confab-server");
    assert!(!deps.contains("confab-core"), "confab-server must not depend on confab-core");
    assert!(!deps.contains("tauri"));
}

#[test]
fn test_libraries_do_not_use_anyhow() {
    let meta = metadata();
    for lib in ["confab-protocol", "confab-core", "confab-server", "confab-cli"] {
        let p = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == lib).unwrap();
        let direct: Vec<&str> =
            p["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert!(!direct.contains(&"anyhow"), "{lib} is a library: thiserror, not anyhow");
    }
}

// ---- module layers inside a crate (a tidy check over the sources, no parser dependency) ----

/// One path from the crate root used in a source file.
#[derive(Debug, Clone)]
struct CratePath {
    /// The file, relative to the crate's `src`.
    file: String,
    line: usize,
    /// The module the file is (`features::message`; `""` for `lib.rs` / `main.rs`).
    module: String,
    /// The path from the crate root, `crate::` dropped (`store::put_msg`, `store::*`).
    path: String,
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module a file under `src_dir` is: `features/message.rs` → `features::message`,
/// `store/mod.rs` → `store`, `lib.rs` → `""`.
fn module_of(src_dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src_dir).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod") || (parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// `src` with comments and the contents of string and char literals blanked out (line breaks
/// kept, so lines still count), and the string literals themselves with their lines.
fn strip_source(src: &str) -> (String, Vec<(usize, String)>) {
    let c: Vec<char> = src.chars().collect();
    let (mut out, mut strings) = (String::with_capacity(src.len()), Vec::new());
    let mut line = 1;
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    // Blank c[from..to] into `out`, keeping line breaks.
    let blank = |out: &mut String, line: &mut usize, from: usize, to: usize| {
        for &ch in &c[from..to.min(c.len())] {
            if ch == '\n' {
                out.push('\n');
                *line += 1;
            } else {
                out.push(' ');
            }
        }
    };
    while i < c.len() {
        let prev_ident = i > 0 && is_ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
            blank(&mut out, &mut line, i, end);
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let (mut depth, mut j) = (0, i);
            while j < c.len() {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &mut line, i, j);
            i = j;
        } else if !prev_ident && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) && {
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&h| h == '#').count();
            c.get(k + hashes) == Some(&'"') && (c[i] == 'b' || hashes > 0 || c.get(k) == Some(&'"'))
        } {
            // A raw string: r"…", r#"…"#, br"…".
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&h| h == '#').count();
            let start = k + hashes + 1;
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let end = (start..c.len()).find(|&j| c[j..].starts_with(&close)).unwrap_or(c.len());
            strings.push((line, c[start..end].iter().collect()));
            blank(&mut out, &mut line, i, end + close.len());
            i = end + close.len();
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            strings.push((line, c[i + 1..j.min(c.len())].iter().collect()));
            out.push('"');
            blank(&mut out, &mut line, i + 1, j);
            out.push('"');
            i = j + 1;
        } else if c[i] == '\'' && (c.get(i + 1) == Some(&'\\') || c.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\u{..}'); anything else after a quote is a lifetime.
            let mut j = i + 1;
            while j < c.len() && c[j] != '\'' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, &mut line, i, j + 1);
            i = j + 1;
        } else {
            if c[i] == '\n' {
                line += 1;
            }
            out.push(c[i]);
            i += 1;
        }
    }
    (out, strings)
}

/// Tokens of stripped source: identifiers, `::`, and single punctuation characters, with lines.
fn tokens(code: &str) -> Vec<(String, usize)> {
    let c: Vec<char> = code.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((c[start..i].iter().collect(), line));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(("::".into(), line));
            i += 2;
        } else {
            out.push((ch.to_string(), line));
            i += 1;
        }
    }
    out
}

/// Parse a path (or a `use` tree: `a::{b, c::{self, d}}`, `a::*`) starting at `t[i]`, with
/// `prefix` already resolved; pushes every full path and returns the index after it.
fn parse_tree(t: &[(String, usize)], mut i: usize, prefix: Vec<String>, out: &mut Vec<String>) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i).map(|x| x.0.as_str()) {
            Some("{") => {
                i += 1;
                while t.get(i).is_some_and(|x| x.0 != "}") {
                    i = parse_tree(t, i, path.clone(), out);
                    if t.get(i).is_some_and(|x| x.0 == ",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some("*") => {
                path.push("*".into());
                out.push(path.join("::"));
                return i + 1;
            }
            Some("self") if t.get(i + 1).is_none_or(|x| x.0 != "::") => {
                out.push(path.join("::"));
                return i + 1;
            }
            Some(s) if s.chars().next().is_some_and(|ch| ch.is_alphabetic() || ch == '_') => {
                path.push(s.to_string());
                i += 1;
                if t.get(i).is_some_and(|x| x.0 == "::") {
                    i += 1;
                    continue;
                }
                out.push(path.join("::"));
                if t.get(i).is_some_and(|x| x.0 == "as") {
                    i += 2;
                }
                return i;
            }
            _ => {
                out.push(path.join("::"));
                return i;
            }
        }
    }
}

/// Every path from the crate root used in the crate under `src_dir`: `crate::…`, and
/// `super::…` / `self::…` resolved against the module they are written in (inline `mod x { }`
/// blocks included). Comments and string literals are not looked at.
fn crate_paths(src_dir: &Path) -> Vec<CratePath> {
    let mut out = Vec::new();
    for file in rust_files(src_dir) {
        let module = module_of(src_dir, &file);
        let (code, _) = strip_source(&std::fs::read_to_string(&file).unwrap());
        let t = tokens(&code);
        // Inline modules: (name, brace depth inside them).
        let (mut depth, mut inline): (usize, Vec<(String, usize)>) = (0, Vec::new());
        let mut i = 0;
        while i < t.len() {
            let tok = t[i].0.as_str();
            match tok {
                "{" => depth += 1,
                "}" => {
                    if inline.last().is_some_and(|m| m.1 == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                "mod" if t.get(i + 2).is_some_and(|x| x.0 == "{") => {
                    inline.push((t[i + 1].0.clone(), depth + 1));
                }
                _ => {}
            }
            let starts_path = matches!(tok, "crate" | "super" | "self")
                && t.get(i + 1).is_some_and(|x| x.0 == "::")
                && (i == 0 || !matches!(t[i - 1].0.as_str(), "::" | "in" | "$"));
            if !starts_path {
                i += 1;
                continue;
            }
            // The module the code here is in, as segments from the crate root.
            let mut here: Vec<String> = module.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            here.extend(inline.iter().map(|m| m.0.clone()));
            let mut prefix = if tok == "crate" { Vec::new() } else { here };
            // `super::super::…` climbs once per `super`.
            let mut j = i;
            while matches!(t[j].0.as_str(), "super" | "self") && t.get(j + 1).is_some_and(|x| x.0 == "::") {
                if t[j].0 == "super" {
                    prefix.pop();
                }
                j += 2;
            }
            if tok == "crate" {
                j = i + 2;
            }
            let mut paths = Vec::new();
            let next = parse_tree(&t, j, prefix, &mut paths);
            let line = t[i].1;
            for path in paths {
                out.push(CratePath { file: file_name(src_dir, &file), line, module: module.clone(), path });
            }
            i = next.max(i + 1);
        }
    }
    out
}

fn file_name(src_dir: &Path, file: &Path) -> String {
    file.strip_prefix(src_dir).unwrap().to_string_lossy().into_owned()
}

/// Check every path between modules of the crate under `src_dir` against a table of layers.
///
/// `layer_of` names the layer of a module or of a path from the crate root (`""` is the root
/// module), `None` when it is in none; `allowed` lists, per layer, the layers it may use (its
/// own included when its modules may use one another). A path into the using file's own module
/// (or below it) is always allowed. Returns the violations, one line each.
fn check_layers(
    src_dir: &Path,
    layer_of: fn(&str) -> Option<&'static str>,
    allowed: &[(&str, &[&str])],
) -> Vec<String> {
    let mut out = Vec::new();
    for p in crate_paths(src_dir) {
        let at = format!("{}:{}", p.file, p.line);
        if !p.module.is_empty() && (p.path == p.module || p.path.starts_with(&format!("{}::", p.module))) {
            continue;
        }
        let Some(from) = layer_of(&p.module) else {
            out.push(format!("{at}: module `{}` is in no layer", p.module));
            continue;
        };
        let Some(to) = layer_of(&p.path) else {
            out.push(format!("{at}: `crate::{}` is in no layer (the crate root only re-exports)", p.path));
            continue;
        };
        let may = allowed.iter().find(|(l, _)| *l == from).map(|(_, m)| *m).unwrap_or(&[]);
        if !may.contains(&to) {
            out.push(format!("{at}: `{}` ({from}) uses `crate::{}` ({to})", p.module, p.path));
        }
    }
    out
}

/// Import cycles between the top-level modules (files and folders) of the crate under
/// `src_dir`: every strongly connected group of more than one, as `a -> b -> … (a)`, with the
/// first use found of each edge.
fn module_cycles(src_dir: &Path) -> Vec<String> {
    let tops: std::collections::BTreeSet<String> = rust_files(src_dir)
        .iter()
        .filter_map(|f| module_of(src_dir, f).split("::").next().map(String::from))
        .filter(|m| !m.is_empty())
        .collect();
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
        tops.iter().map(|t| (t.clone(), Default::default())).collect();
    for p in crate_paths(src_dir) {
        let from = p.module.split("::").next().unwrap_or("").to_string();
        let to = p.path.split("::").next().unwrap_or("").to_string();
        if from.is_empty() || from == to || !tops.contains(&to) {
            continue;
        }
        edges.get_mut(&from).unwrap().entry(to).or_insert_with(|| format!("{}:{}", p.file, p.line));
    }
    // Strongly connected components (Tarjan).
    struct Walk<'a> {
        edges: &'a std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
        index: HashMap<String, usize>,
        low: HashMap<String, usize>,
        stack: Vec<String>,
        on_stack: HashSet<String>,
        groups: Vec<Vec<String>>,
    }
    fn visit(w: &mut Walk, v: &str) {
        let n = w.index.len();
        w.index.insert(v.into(), n);
        w.low.insert(v.into(), n);
        w.stack.push(v.into());
        w.on_stack.insert(v.into());
        for u in w.edges[v].keys() {
            if !w.index.contains_key(u) {
                visit(w, u);
                let l = w.low[u].min(w.low[v]);
                w.low.insert(v.into(), l);
            } else if w.on_stack.contains(u) {
                let l = w.index[u].min(w.low[v]);
                w.low.insert(v.into(), l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(&u);
                let done = u == v;
                group.push(u);
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.groups.push(group);
            }
        }
    }
    let mut w = Walk {
        edges: &edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: HashSet::new(),
        groups: Vec::new(),
    };
    for t in &tops {
        if !w.index.contains_key(t) {
            visit(&mut w, t);
        }
    }
    w.groups
        .iter()
        .map(|g| {
            let inside: Vec<String> = g
                .iter()
                .flat_map(|a| {
                    edges[a].iter().filter(|(b, _)| g.contains(b)).map(move |(b, at)| format!("{a} -> {b} ({at})"))
                })
                .collect();
            format!("import cycle between {}: {}", g.join(", "), inside.join("; "))
        })
        .collect()
}

/// SQL outside the top-level modules in `sql_home`: sqlx query / migrate calls, and string
/// literals that start like a statement.
fn sql_outside(src_dir: &Path, sql_home: &[&str]) -> Vec<String> {
    const STATEMENTS: &[&str] =
        &["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "ALTER ", "DROP ", "PRAGMA ", "WITH ", "BEGIN"];
    let mut out = Vec::new();
    for file in rust_files(src_dir) {
        let top = module_of(src_dir, &file).split("::").next().unwrap_or("").to_string();
        if sql_home.contains(&top.as_str()) {
            continue;
        }
        let name = file_name(src_dir, &file);
        let (code, strings) = strip_source(&std::fs::read_to_string(&file).unwrap());
        let t = tokens(&code);
        for w in t.windows(3) {
            if w[0].0 == "sqlx" && w[1].0 == "::" && (w[2].0.starts_with("query") || w[2].0 == "migrate") {
                out.push(format!("{name}:{}: sqlx::{}", w[0].1, w[2].0));
            }
        }
        for (line, s) in strings {
            if STATEMENTS.iter().any(|k| s.trim_start().starts_with(k)) {
                out.push(format!("{name}:{line}: SQL text {:?}", s.chars().take(40).collect::<String>()));
            }
        }
    }
    out
}

/// The layer of a module or path of confab-core (see `crates/core/src/lib.rs`, "Layers").
fn core_layer(path: &str) -> Option<&'static str> {
    let mut seg = path.split("::");
    Some(match (seg.next().unwrap_or(""), seg.next()) {
        ("", _) => "lib",
        ("util", _) => "util",
        ("error", _) => "error",
        ("options", _) => "options",
        ("events", _) => "events",
        ("store", _) => "store",
        ("net", _) => "net",
        ("media", _) => "media",
        ("session", Some("send_queue")) => "send_queue",
        ("session", _) => "session",
        ("features", _) => "features",
        ("engine", _) => "engine",
        ("sdk", _) => "sdk",
        ("tim", _) => "tim",
        _ => return None,
    })
}

/// Who may use whom in confab-core. `features` is not in its own list: a feature never uses
/// another feature. Nothing but the crate root uses `tim`.
const CORE_LAYERS: &[(&str, &[&str])] = &[
    ("util", &["util", "error", "options", "events"]),
    ("error", &["util", "error", "options", "events"]),
    ("options", &["util", "error", "options", "events"]),
    ("events", &["util", "error", "options", "events"]),
    ("store", &["util", "error", "store"]),
    ("net", &["util", "error", "options", "net"]),
    ("media", &["util", "error", "options", "net", "store", "media"]),
    ("session", &["util", "error", "options", "events", "store", "net", "media", "session"]),
    ("send_queue", &["util", "error", "options", "events", "store", "net", "media", "session", "send_queue"]),
    ("features", &["util", "error", "options", "events", "store", "net", "media", "session", "send_queue"]),
    (
        "engine",
        &["util", "error", "options", "events", "store", "net", "media", "session", "send_queue", "features", "engine"],
    ),
    (
        "sdk",
        &[
            "util",
            "error",
            "options",
            "events",
            "store",
            "net",
            "media",
            "session",
            "send_queue",
            "features",
            "engine",
            "sdk",
        ],
    ),
    (
        "tim",
        &[
            "util",
            "error",
            "options",
            "events",
            "store",
            "net",
            "media",
            "session",
            "send_queue",
            "features",
            "engine",
            "sdk",
            "tim",
        ],
    ),
    (
        "lib",
        &[
            "util",
            "error",
            "options",
            "events",
            "store",
            "net",
            "media",
            "session",
            "send_queue",
            "features",
            "engine",
            "sdk",
            "tim",
        ],
    ),
];

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/core/src")
}

#[test]
fn test_core_module_layers() {
    let src = core_src();
    assert!(crate_paths(&src).len() > 100, "the scan finds the crate's paths");
    let mut problems = check_layers(&src, core_layer, CORE_LAYERS);
    problems.extend(module_cycles(&src));
    assert!(problems.is_empty(), "confab-core's module layers are broken:\n{}", problems.join("\n"));
}

#[test]
fn test_core_sql_only_in_store() {
    let problems = sql_outside(&core_src(), &["store"]);
    assert!(problems.is_empty(), "SQL outside crates/core/src/store:\n{}", problems.join("\n"));
}

#[test]
fn test_layer_checker_reads_paths_like_the_compiler() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(src.join("a/mod.rs"), "pub mod x;\nuse crate::{b::{self, Y}, a::x::Z};\n").unwrap();
    std::fs::write(
        src.join("a/x.rs"),
        "// crate::c::in_a_comment\nuse super::super::b as bee;\nfn f() { let s = \"crate::c::in_a_string\"; \
         let _: &'static str = s; let _c = 'c'; crate::b::g::<u8>(); }\n\
         mod tests { use super::*; }\n",
    )
    .unwrap();
    std::fs::write(src.join("b.rs"), "pub fn g() { r#\"crate::c::raw\"#; }\n").unwrap();
    let found: Vec<(String, String)> = crate_paths(src).into_iter().map(|p| (p.module, p.path)).collect();
    let want = [("a", "b"), ("a", "b::Y"), ("a", "a::x::Z"), ("a::x", "b"), ("a::x", "b::g"), ("a::x", "a::x::*")];
    assert_eq!(found, want.map(|(m, p)| (m.to_string(), p.to_string())).to_vec());
    let layer = |p: &str| match p.split("::").next() {
        Some("a") => Some("top"),
        Some("b") | Some("") => Some("bottom"),
        _ => None,
    };
    assert!(check_layers(src, layer, &[("top", &["top", "bottom"]), ("bottom", &[])]).is_empty());
    let back = check_layers(src, layer, &[("top", &["top"]), ("bottom", &[])]);
    assert_eq!(back.len(), 4, "{back:?}");
    assert!(module_cycles(src).is_empty());
    std::fs::write(src.join("b.rs"), "pub fn g() { crate::a::x::f(); }\n").unwrap();
    assert_eq!(module_cycles(src).len(), 1);
}

/// The layer of a module or path of confab-server (see `crates/server/src/lib.rs`, "Layers").
/// Each request family under `handlers/` is a layer of its own, so that one never uses another.
fn server_layer(path: &str) -> Option<&'static str> {
    let mut seg = path.split("::");
    Some(match (seg.next().unwrap_or(""), seg.next()) {
        ("" | "main" | "app", _) => "lib",
        ("cli", _) => "cli",
        ("config" | "error" | "util" | "usersig" | "throttle", _) => "foundation",
        ("store", _) => "store",
        ("bus", _) => "bus",
        ("blobs", _) => "blobs",
        ("rules", _) => "rules",
        ("context", _) => "context",
        ("events", _) => "events",
        ("access", _) => "access",
        ("handlers", None) => "handlers",
        ("handlers", Some("auth")) => "handlers::auth",
        ("handlers", Some("messages")) => "handlers::messages",
        ("handlers", Some("conversations")) => "handlers::conversations",
        ("handlers", Some("profiles")) => "handlers::profiles",
        ("handlers", Some("media")) => "handlers::media",
        ("handlers", Some("groups")) => "handlers::groups",
        ("gateway", _) => "gateway",
        _ => return None,
    })
}

/// What every handler family may use: the domain, the infrastructure and the foundation.
const BELOW_HANDLERS: [&str; 8] = ["foundation", "store", "bus", "blobs", "rules", "context", "events", "access"];
const HANDLERS: [&str; 7] = [
    "handlers",
    "handlers::auth",
    "handlers::messages",
    "handlers::conversations",
    "handlers::profiles",
    "handlers::media",
    "handlers::groups",
];

fn server_layers() -> Vec<(&'static str, Vec<&'static str>)> {
    let handler = |own: &'static str| {
        let mut v = BELOW_HANDLERS.to_vec();
        v.push(own);
        (own, v)
    };
    let mut gateway: Vec<&str> = BELOW_HANDLERS.to_vec();
    gateway.extend(HANDLERS);
    gateway.push("gateway");
    let mut lib = gateway.clone();
    lib.push("lib");
    vec![
        ("foundation", vec!["foundation"]),
        ("store", vec!["foundation", "store"]),
        ("bus", vec!["foundation", "bus"]),
        ("blobs", vec!["foundation", "blobs"]),
        ("rules", vec!["foundation", "rules"]),
        ("context", vec!["foundation", "store", "bus", "blobs", "context"]),
        ("events", vec!["foundation", "store", "rules", "events"]),
        ("access", vec!["foundation", "store", "bus", "blobs", "rules", "context", "access"]),
        handler("handlers"),
        handler("handlers::auth"),
        handler("handlers::messages"),
        handler("handlers::conversations"),
        handler("handlers::profiles"),
        handler("handlers::media"),
        handler("handlers::groups"),
        ("gateway", gateway),
        ("lib", lib.clone()),
        ("cli", {
            let mut c = lib;
            c.push("cli");
            c
        }),
    ]
}

fn server_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/server/src")
}

#[test]
fn test_server_module_layers() {
    let src = server_src();
    assert!(crate_paths(&src).len() > 100, "the scan finds the crate's paths");
    let table = server_layers();
    let allowed: Vec<(&str, &[&str])> = table.iter().map(|(l, v)| (*l, v.as_slice())).collect();
    let mut problems = check_layers(&src, server_layer, &allowed);
    problems.extend(module_cycles(&src));
    assert!(problems.is_empty(), "confab-server's module layers are broken:\n{}", problems.join("\n"));
}

#[test]
fn test_server_sql_only_in_store() {
    let problems = sql_outside(&server_src(), &["store"]);
    assert!(problems.is_empty(), "SQL outside crates/server/src/store:\n{}", problems.join("\n"));
}
