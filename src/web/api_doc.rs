//! The `/api/v1` router and its OpenAPI 3.1 document, built together by `utoipa-axum` from the
//! handlers' `#[utoipa::path]` annotations and parameter types, so the document cannot drift from
//! the routes: a route is added here once and appears in both.
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{alertes, analytics, api, api_previsions, api_secteurs, jobs, AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Observatoire emploi et compétences — API",
        description = "Indicateurs territoriaux de l'emploi (tension, offres, secteurs, compétences, prévisions), \
chacun avec sa source, son millésime et sa méthode (/methodologie). Erreurs au format application/problem+json. \
Toute collection s'exporte avec ?format=csv (UTF-8 avec BOM, « ; », virgule décimale), xlsx (onglet Sources) ou parquet.",
        version = env!("CARGO_PKG_VERSION"),
        license(name = "Données : Licence Ouverte 2.0 / conditions de chaque source (voir /methodologie#sources)"),
    ),
    tags(
        (name = "territoires", description = "territoires : zones d'emploi, bassins BMO, départements, régions, territoires déclarés"),
        (name = "tension", description = "métiers en tension"),
        (name = "offres", description = "offres d'emploi"),
        (name = "secteurs", description = "dynamique sectorielle"),
        (name = "competences", description = "compétences demandées"),
        (name = "previsions", description = "prévisions à 12 mois"),
        (name = "filieres", description = "filières"),
        (name = "alertes", description = "changements notables depuis la dernière mise à jour"),
        (name = "jobs", description = "tâches planifiées"),
    )
)]
struct ApiDoc;

/// The territory of a path: its kind and code.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // read by the path extractor as a tuple; here for the document
pub struct TerritoryPath {
    /// `ze` (zone d'emploi 2020), `bassin` (bassin BMO), `dep`, `reg`, `custom`, `fr`.
    kind: String,
    /// Code of the territory (`2815`, `76`, `rouen-metropole`, `FR`).
    code: String,
}

/// The download format of a collection.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by the export middleware; here for the document
pub struct ExportFormat {
    /// `json` (default), `csv` (UTF-8 with BOM, `;`, decimal comma), `xlsx` (with a Sources sheet)
    /// or `parquet`. Without `page`, every page of the collection is exported.
    #[param(pattern = "^(json|csv|xlsx|parquet)$")]
    format: Option<String>,
}

/// The API routes (with the export middleware in front) and the OpenAPI document.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::territoires))
        .routes(routes!(analytics::tension))
        .routes(routes!(analytics::offres))
        .routes(routes!(api_secteurs::secteurs))
        .routes(routes!(api_secteurs::competences))
        .routes(routes!(api_previsions::previsions))
        .routes(routes!(analytics::filieres))
        .routes(routes!(analytics::filiere))
        .routes(routes!(alertes::api))
        .routes(routes!(jobs::api_jobs))
        .split_for_parts();
    let mut doc = doc;
    document_exports(&mut doc);
    let inner: Router = router
        .fallback(super::error::not_found)
        .with_state(state.clone());
    let outer = inner
        .clone()
        .layer(axum::middleware::from_fn_with_state(
            inner,
            super::export::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            super::metrics::track,
        ));
    (outer, doc)
}

/// Every operation taking `format` answers 200 in the four export media types, and 400 (problem)
/// for a format it does not know: both written once here rather than on every handler (found by
/// schemathesis: an `xlsx` answer and a 400 on `format=` were undocumented).
fn document_exports(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        Content, Ref, RefOr, ResponseBuilder,
    };
    let binary = || {
        Content::new(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
        ))
    };
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        let exports = op
            .parameters
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| p.name == "format"));
        if !exports {
            continue;
        }
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            for media in [
                super::export::CSV,
                super::export::XLSX,
                super::export::PARQUET,
            ] {
                ok.content.insert(media.into(), binary());
            }
        }
        op.responses
            .responses
            .entry("400".into())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description("paramètre invalide")
                        .content(
                            "application/problem+json",
                            Content::new(Some(Ref::from_schema_name("Problem"))),
                        )
                        .build(),
                )
            });
    }
}
