//! The manager's rules against the memory store; the node suite runs the same rules
//! against Redis.

use std::sync::Arc;

use super::*;
use crate::store::MemoryStore;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(future)
}

fn manager(config: ManagerConfig) -> (Manager, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let manager = Manager::new(Store::Memory(store.clone()), config).unwrap();
    (manager, store)
}

fn ctx() -> Context {
    Context::default()
}

fn code<T>(result: Result<T>) -> &'static str {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.code(),
    }
}

#[test]
fn rotation_replaces_the_token_and_keeps_the_family() {
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        let issued = m.issue("user-1", &ctx()).await.unwrap();
        let first = m.rotate(&issued.token, &ctx()).await.unwrap();
        assert_eq!(first.user_id, "user-1");
        assert_eq!(first.family_id, issued.family_id);
        assert_ne!(first.token, issued.token);
        let second = m.rotate(&first.token, &ctx()).await.unwrap();
        assert_eq!(second.family_id, issued.family_id);
        // Without an idle timeout every token of the family ends with the family.
        assert_eq!(second.expires_at, issued.expires_at);
    });
}

#[test]
fn a_spent_token_revokes_the_whole_family() {
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        let issued = m.issue("user-1", &ctx()).await.unwrap();
        let next = m.rotate(&issued.token, &ctx()).await.unwrap();
        assert_eq!(
            code(m.rotate(&issued.token, &ctx()).await),
            "ERR_REFRESH_REUSED"
        );
        // The live successor died with its family.
        assert_eq!(
            code(m.rotate(&next.token, &ctx()).await),
            "ERR_REFRESH_REVOKED"
        );
        assert!(m.list_sessions("user-1").await.unwrap().is_empty());
    });
}

#[test]
fn a_retry_within_the_grace_period_gets_the_same_successor_once() {
    block_on(async {
        let (m, _) = manager(ManagerConfig {
            reuse_grace: 30_000,
            ..ManagerConfig::default()
        });
        let issued = m.issue("user-1", &ctx()).await.unwrap();
        let next = m.rotate(&issued.token, &ctx()).await.unwrap();
        let again = m.rotate(&issued.token, &ctx()).await.unwrap();
        assert_eq!(again.token, next.token);
        assert_eq!(again.expires_at, next.expires_at);
        assert_eq!(
            code(m.rotate(&issued.token, &ctx()).await),
            "ERR_REFRESH_REUSED"
        );
        assert_eq!(
            code(m.rotate(&next.token, &ctx()).await),
            "ERR_REFRESH_REVOKED"
        );
    });
}

#[test]
fn forged_tokens_of_a_real_family_do_not_revoke_it() {
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        let issued = m.issue("user-1", &ctx()).await.unwrap();
        let parts = token::parse(&issued.token).unwrap();
        let forged =
            token::create(&parts.family, parts.family_expires_at, parts.expires_at).unwrap();
        assert_eq!(code(m.rotate(&forged, &ctx()).await), "ERR_REFRESH_INVALID");
        assert!(!m.revoke(&forged).await.unwrap());
        assert!(m.rotate(&issued.token, &ctx()).await.is_ok());
    });
}

#[test]
fn tokens_hashed_with_another_secret_are_unknown() {
    block_on(async {
        let store = Arc::new(MemoryStore::new());
        let a = Manager::new(
            Store::Memory(store.clone()),
            ManagerConfig {
                secret: Some(Zeroizing::new(b"one".to_vec())),
                ..ManagerConfig::default()
            },
        )
        .unwrap();
        let b = Manager::new(Store::Memory(store), ManagerConfig::default()).unwrap();
        let issued = a.issue("user-1", &ctx()).await.unwrap();
        assert_eq!(
            code(b.rotate(&issued.token, &ctx()).await),
            "ERR_REFRESH_INVALID"
        );
        assert_ne!(a.hash(&issued.token), b.hash(&issued.token));
    });
}

#[test]
fn revocation_by_token_family_and_user() {
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        let one = m.issue("u", &ctx()).await.unwrap();
        let two = m.issue("u", &ctx()).await.unwrap();
        let three = m.issue("u", &ctx()).await.unwrap();
        let other = m.issue("v", &ctx()).await.unwrap();
        assert!(m.revoke(&one.token).await.unwrap());
        assert!(!m.revoke(&one.token).await.unwrap());
        assert_eq!(
            code(m.rotate(&one.token, &ctx()).await),
            "ERR_REFRESH_REVOKED"
        );
        assert!(m.revoke_family(&two.family_id).await.unwrap());
        assert!(!m.revoke_family(&two.family_id).await.unwrap());
        assert_eq!(m.list_sessions("u").await.unwrap().len(), 1);
        assert_eq!(m.revoke_all_for_user("u").await.unwrap(), 1);
        assert_eq!(m.revoke_all_for_user("u").await.unwrap(), 0);
        assert_eq!(
            code(m.rotate(&three.token, &ctx()).await),
            "ERR_REFRESH_REVOKED"
        );
        assert!(m.rotate(&other.token, &ctx()).await.is_ok());
        assert_eq!(code(m.revoke_family("nope").await), "ERR_INVALID_OPTION");
    });
}

#[test]
fn sessions_list_context_and_last_use() {
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        let a = m
            .issue(
                "u",
                &Context {
                    user_agent: Some("curl/8".into()),
                    ip: Some("127.0.0.1".into()),
                },
            )
            .await
            .unwrap();
        let b = m.issue("u", &ctx()).await.unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let long_agent = "é".repeat(400);
        m.rotate(
            &a.token,
            &Context {
                user_agent: Some(long_agent),
                ip: None,
            },
        )
        .await
        .unwrap();
        let sessions = m.list_sessions("u").await.unwrap();
        assert_eq!(sessions.len(), 2);
        // Most recently used first.
        assert_eq!(sessions[0].family_id, a.family_id);
        assert_eq!(sessions[1].family_id, b.family_id);
        assert_eq!(sessions[0].ip.as_deref(), Some("127.0.0.1"));
        let agent = sessions[0].user_agent.as_deref().unwrap();
        assert!(agent.len() <= MAX_CONTEXT_BYTES && agent.chars().all(|c| c == 'é'));
        assert!(sessions[0].last_used_at > sessions[0].created_at);
        assert_eq!(sessions[1].user_agent, None);
    });
}

#[test]
fn idle_tokens_expire_before_the_session_does() {
    block_on(async {
        let (m, _) = manager(ManagerConfig {
            ttl: 3_600_000,
            idle_ttl: Some(1_000),
            ..ManagerConfig::default()
        });
        let issued = m.issue("u", &ctx()).await.unwrap();
        let parts = token::parse(&issued.token).unwrap();
        assert!(parts.expires_at < parts.family_expires_at);
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        assert_eq!(
            code(m.rotate(&issued.token, &ctx()).await),
            "ERR_REFRESH_EXPIRED"
        );
        assert!(m.list_sessions("u").await.unwrap().is_empty());
    });
}

#[test]
fn bad_configuration_and_input_are_refused() {
    let bad = [
        ManagerConfig {
            ttl: 0,
            ..ManagerConfig::default()
        },
        ManagerConfig {
            idle_ttl: Some(0),
            ..ManagerConfig::default()
        },
        ManagerConfig {
            idle_ttl: Some(8 * 24 * 3600 * 1000),
            ..ManagerConfig::default()
        },
        ManagerConfig {
            reuse_grace: 8 * 24 * 3600 * 1000,
            ..ManagerConfig::default()
        },
        ManagerConfig {
            secret: Some(Zeroizing::new(Vec::new())),
            ..ManagerConfig::default()
        },
    ];
    for config in bad {
        let store = Store::Memory(Arc::new(MemoryStore::new()));
        assert_eq!(code(Manager::new(store, config)), "ERR_INVALID_OPTION");
    }
    block_on(async {
        let (m, _) = manager(ManagerConfig::default());
        assert_eq!(code(m.issue("", &ctx()).await), "ERR_INVALID_OPTION");
        assert_eq!(
            code(m.issue(&"x".repeat(257), &ctx()).await),
            "ERR_INVALID_OPTION"
        );
        assert_eq!(
            code(m.rotate("garbage", &ctx()).await),
            "ERR_REFRESH_INVALID"
        );
        assert_eq!(code(m.revoke("garbage").await), "ERR_REFRESH_INVALID");
    });
}

#[test]
fn concurrent_rotations_of_one_token_let_exactly_one_through() {
    let (m, _) = manager(ManagerConfig::default());
    let m = Arc::new(m);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let issued = m.issue("u", &ctx()).await.unwrap();
        let token = Arc::new(issued.token.to_string());
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let (m, token) = (m.clone(), token.clone());
                tokio::spawn(async move { m.rotate(&token, &Context::default()).await })
            })
            .collect();
        let (mut ok, mut reused) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                // The first late caller proves reuse and revokes the family; the rest find
                // it revoked.
                Err(e) if e.code() == "ERR_REFRESH_REUSED" => reused += 1,
                Err(e) => assert_eq!(e.code(), "ERR_REFRESH_REVOKED"),
            }
        }
        assert_eq!((ok, reused), (1, 1));
    });
}
