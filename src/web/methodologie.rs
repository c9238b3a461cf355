//! Methodology page: `docs/methodologie.md` (French, embedded at build time) rendered to HTML,
//! and the sources loaded. Every figure links to one of its stable anchors (`{#tension}`).
use std::sync::LazyLock;

use axum::extract::State;
use axum::response::Html;
use minijinja::context;
use pulldown_cmark::{html, Options, Parser};

use super::{AppError, AppState};

pub const MARKDOWN: &str = include_str!("../../docs/methodologie.md");

/// The methodology as HTML (the document's own `# title` is the page's `<h1>`).
pub static HTML: LazyLock<String> = LazyLock::new(|| {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(MARKDOWN, opts));
    // tables scroll inside their own box on a small screen
    out.replace(
        "<table>",
        "<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau défilant\"><table>",
    )
    .replace("</table>", "</table></div>")
});

pub async fn page(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let sources = state.db.call(|conn| crate::status::sources(conn)).await?;
    state.render(
        "methodologie.html",
        context! { sources, methodologie => minijinja::Value::from_safe_string(HTML.clone()) },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_section_has_its_anchor() {
        for anchor in [
            "territoires",
            "territoires-personnalises",
            "offres",
            "tension",
            "correspondances",
            "filieres",
            "bmo",
        ] {
            assert!(
                super::HTML.contains(&format!("id=\"{anchor}\"")),
                "#{anchor}"
            );
        }
    }
}
