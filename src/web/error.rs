//! Errors: French HTML error pages, and `application/problem+json` under `/api`.
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// RFC 9457 problem details, the body of every `/api` error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: &'static str,
    /// Short French title ("Requête invalide", "Page introuvable").
    pub title: &'static str,
    pub status: u16,
    /// What is wrong, in French, naming the parameter.
    pub detail: String,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub api: bool,
}

impl AppError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            title: "Page introuvable",
            detail: detail.into(),
            api: false,
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "Requête invalide",
            detail: detail.into(),
            api: false,
        }
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Erreur interne",
            detail: detail.into(),
            api: false,
        }
    }
    pub fn api(mut self) -> Self {
        self.api = true;
        self
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(format!("{e:#}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Internal details go to the log, not to the visitor.
        let detail = if self.status.is_server_error() {
            tracing::error!(status = %self.status, detail = %self.detail, "request failed");
            "Une erreur est survenue de notre côté ; elle a été enregistrée.".to_string()
        } else {
            self.detail
        };
        if self.api {
            let body = Problem {
                kind: "about:blank",
                title: self.title,
                status: self.status.as_u16(),
                detail,
            };
            return (
                self.status,
                [(header::CONTENT_TYPE, "application/problem+json")],
                serde_json::to_string(&body).unwrap_or_default(),
            )
                .into_response();
        }
        let html = ERROR_PAGES
            .get_template("error.html")
            .and_then(|t| t.render(minijinja::context! { title => self.title, detail => detail }))
            .unwrap_or_else(|e| {
                tracing::error!("error page template: {e:#}");
                format!("{} — {}", self.title, "Observatoire emploi et compétences")
            });
        (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response()
    }
}

/// The templates, for error pages rendered where no `AppState` is at hand (extractor rejections,
/// fallback); minijinja escapes the detail.
static ERROR_PAGES: std::sync::LazyLock<minijinja::Environment<'static>> =
    std::sync::LazyLock::new(super::templates);

pub async fn not_found(uri: Uri) -> AppError {
    let e = AppError::not_found(format!("Aucune page à l'adresse {}.", uri.path()));
    if uri.path().starts_with("/api/") {
        e.api()
    } else {
        e
    }
}
