//! Works out who sent a request: an API token in `Authorization: Bearer`,
//! or a browser session cookie. Deciding what they may do is [`crate::policy`]'s job.

use crate::{ApiError, AppState};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pawl_app::{auth, AppError, Principal};

pub const SESSION_COOKIE: &str = "pawl_session";

/// What the request carried, placed in its extensions.
#[derive(Clone)]
pub enum Identity {
    Anonymous,
    /// Signed in, but a member of no organisation.
    Homeless,
    Principal(Box<Principal>),
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Operators' metrics carry the server's metrics token, which is no
    // member's: that handler checks it, and no one is signed in.
    if req.uri().path() == "/-/metrics" {
        req.extensions_mut().insert(Identity::Anonymous);
        return next.run(req).await;
    }
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::to_owned);
    let identity = if let Some(token) = bearer {
        match auth::token_principal(&state.app, &token).await {
            Ok(p) => Identity::Principal(Box::new(p)),
            // A wrong token is an error even on public routes: the client
            // believes it is authenticated and must learn otherwise.
            Err(AppError::Unauthenticated) => {
                return ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Unauthenticated",
                    "the API token is unknown or revoked",
                )
                .into_response()
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        match auth::session_principal(&state.app, &secret).await {
            Ok(Some(p)) => Identity::Principal(Box::new(p)),
            Ok(None) => Identity::Homeless,
            Err(AppError::Unauthenticated) => Identity::Anonymous,
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else {
        Identity::Anonymous
    };
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// The caller of a route that requires one; the policy layer has already
/// made sure there is one and that their role allows the route.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Identity>() {
            Some(Identity::Principal(p)) => Ok(Auth(p.as_ref().clone())),
            _ => Err(ApiError::from(AppError::Unauthenticated)),
        }
    }
}
