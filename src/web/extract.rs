//! `Query` and `Path` whose rejections answer like the rest of the site: a French error page, or
//! problem+json under `/api` — never axum's plain English text (duplicate query keys such as
//! `?q=x&q=y`, a value of the wrong type, bad UTF-8 in the path).
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppError;

/// [`Query`] with French rejections.
pub struct Q<T>(pub T);

/// [`Path`] with French rejections.
pub struct P<T>(pub T);

fn reject(parts: &Parts, detail: String) -> AppError {
    let e = AppError::bad_request(detail);
    if parts.uri.path().starts_with("/api/") {
        e.api()
    } else {
        e
    }
}

/// serde's message about a query string, in French. axum's text reads
/// `Failed to deserialize query string: [<param>: ]<serde message>`.
fn query_problem(text: &str) -> String {
    let text = text
        .split_once("query string: ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .trim();
    // the parameter the message is about, when serde names its path
    let (param, text) = match text.split_once(": ") {
        Some((p, rest)) if !p.contains(' ') => (Some(p), rest),
        _ => (None, text),
    };
    let field = |prefix: &str| {
        text.strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .map(str::to_string)
    };
    if let Some(f) = field("duplicate field `") {
        format!("le paramètre « {f} » est donné plusieurs fois ; donnez-le une seule fois")
    } else if let Some(f) = field("missing field `") {
        format!("le paramètre « {f} » est obligatoire")
    } else if let Some(f) = field("unknown field `") {
        let expected = text
            .split_once("expected ")
            .map(|(_, e)| {
                e.replace('`', "")
                    .replace(" or ", ", ")
                    .replace("one of ", "")
            })
            .unwrap_or_default();
        if expected.is_empty() || expected.starts_with("there are no fields") {
            format!("paramètre « {f} » inconnu")
        } else {
            format!("paramètre « {f} » inconnu (paramètres possibles : {expected})")
        }
    } else if let Some(p) = param {
        format!("le paramètre « {p} » a une valeur invalide")
    } else {
        "un paramètre a une valeur invalide".to_string()
    }
}

impl<T, S> FromRequestParts<S> for Q<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Q(v)),
            Err(e) => Err(reject(
                parts,
                format!("Requête invalide : {}.", query_problem(&e.body_text())),
            )),
        }
    }
}

impl<T, S> FromRequestParts<S> for P<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(P(v)),
            Err(e) => {
                let text = e.body_text();
                let why = if text.contains("UTF-8") || text.contains("utf-8") {
                    "l'adresse contient des caractères qui ne sont pas de l'UTF-8 valide"
                } else {
                    "un élément de l'adresse est invalide"
                };
                Err(reject(parts, format!("Adresse invalide : {why}.")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::query_problem;

    #[test]
    fn query_problems_in_french() {
        assert_eq!(
            query_problem("Failed to deserialize query string: duplicate field `q`"),
            "le paramètre « q » est donné plusieurs fois ; donnez-le une seule fois"
        );
        assert_eq!(
            query_problem("Failed to deserialize query string: invalid digit found in string"),
            "un paramètre a une valeur invalide"
        );
        assert_eq!(
            query_problem(
                "Failed to deserialize query string: page: invalid digit found in string"
            ),
            "le paramètre « page » a une valeur invalide"
        );
        assert_eq!(
            query_problem(
                "Failed to deserialize query string: b: unknown field `b`, expected `a` or `c`"
            ),
            "paramètre « b » inconnu (paramètres possibles : a, c)"
        );
    }
}
