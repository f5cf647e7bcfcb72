//! The identity service on both backends, with mail going over SMTP to a local sink.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use slipway_core::config::{AdminBootstrap, IdentityConfig, MailConfig};
use slipway_core::{CodeProblem, Error, Role};
use slipway_identity::testing::SmtpSink;
use slipway_identity::{
    AdminChanges, CodePurpose, Identity, Mailer, ProfileChanges, Registration, RequestMeta, Rules, UsernameRule,
};
use slipway_store::identity::UserFilter;
use slipway_store::{Db, backend_tests, on_pool};

struct Rig {
    id: Identity,
    mail: SmtpSink,
    dir: tempfile::TempDir,
    db: Db,
}

async fn rig_with(db: Db, cfg: IdentityConfig) -> Rig {
    let mail = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mailer =
        Mailer::from_config(&MailConfig { smtp_url: Some(mail.url()), ..Default::default() }, dir.path()).unwrap();
    let id = Identity::new(db.clone(), cfg, dir.path(), mailer).await.unwrap();
    Rig { id, mail, dir, db }
}

async fn rig(db: Db) -> Rig {
    rig_with(db, IdentityConfig::default()).await
}

fn meta() -> RequestMeta {
    RequestMeta { ip: Some("203.0.113.7".parse().unwrap()), user_agent: Some("test-agent/1".into()) }
}

fn reg(name: &str) -> Registration {
    Registration {
        username: name.into(),
        email: format!("{name}@example.com"),
        password: "Secret123!".into(),
        full_name: format!("{name} Tester"),
        role: None,
    }
}

async fn user(r: &Rig, name: &str) -> slipway_identity::User {
    r.id.register(&reg(name), Rules::PERFECT21, None, &meta()).await.unwrap()
}

async fn admin(r: &Rig, name: &str) -> slipway_identity::User {
    r.id.create_user_as_system(&Registration { role: Some(Role::Admin), ..reg(name) }, Rules::PERFECT21).await.unwrap()
}

/// Moves every code of an address back in time, as if `secs` had passed.
async fn age_codes(db: &Db, email: &str, secs: i64) {
    let codes: Vec<(i64, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
        on_pool!(db, |p| sqlx::query_as("SELECT id, created_at, expires_at FROM verification_codes WHERE email = $1")
            .bind(email)
            .fetch_all(p)
            .await)
        .unwrap();
    for (id, created, expires) in codes {
        let d = chrono::Duration::seconds(secs);
        on_pool!(db, |p| sqlx::query("UPDATE verification_codes SET created_at = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(created - d)
            .bind(expires - d)
            .execute(p)
            .await
            .map(|_| ()))
        .unwrap();
    }
}

backend_tests! {
    async fn users_sign_in_with_name_or_address_in_any_case(db: Db) {
        let r = rig(db).await;
        let ann = user(&r, "ann").await;
        assert_eq!(ann.role, Role::User);
        for identifier in ["ann", "ANN", "ann@example.com", "Ann@Example.COM"] {
            let s = r.id.login(identifier, "Secret123!", false, &meta()).await.unwrap();
            assert_eq!(s.user.id, ann.id);
            assert!(s.user.last_login_at.is_some());
            assert_eq!(s.tokens.expires_in, 1800);
            let auth = r.id.authenticate(&s.tokens.access_token).await.unwrap();
            assert_eq!(auth.principal().user_id, ann.id);
        }
    }

    async fn registration_reports_every_bad_field_and_taken_names(db: Db) {
        let r = rig(db).await;
        let bad = Registration { username: "x".into(), email: "nope".into(), password: "short".into(), ..reg("x") };
        match r.id.register(&bad, Rules::PERFECT21, None, &meta()).await {
            Err(Error::Validation(fields)) => {
                let names: Vec<String> = fields.iter().map(|f| f.field()).collect();
                assert_eq!(names, ["username", "email", "password"]);
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
        user(&r, "ann").await;
        let same_name = Registration { email: "other@example.com".into(), ..reg("ANN") };
        assert!(matches!(r.id.register(&same_name, Rules::PERFECT21, None, &meta()).await, Err(Error::UserExists { field: "username" })));
        let same_mail = Registration { email: "ANN@example.com".into(), ..reg("bob") };
        assert!(matches!(r.id.register(&same_mail, Rules::PERFECT21, None, &meta()).await, Err(Error::UserExists { field: "email" })));
        // The planner's rule lets a six-character password through; Perfect21's does not.
        let weak = Registration { password: "abcdef".into(), ..reg("carl") };
        assert!(r.id.register(&weak, Rules::PERFECT21, None, &meta()).await.is_err());
        assert!(r.id.register(&weak, Rules::PLANNER, None, &meta()).await.is_ok());
    }

    async fn only_administrators_create_administrators(db: Db) {
        let r = rig(db).await;
        let wants_admin = Registration { role: Some(Role::Admin), ..reg("mallory") };
        assert!(matches!(r.id.register(&wants_admin, Rules::PERFECT21, None, &meta()).await, Err(Error::Forbidden(_))));
        let ann = user(&r, "ann").await;
        assert!(matches!(r.id.register(&wants_admin, Rules::PERFECT21, Some(&ann.principal()), &meta()).await, Err(Error::Forbidden(_))));
        let root = admin(&r, "root").await;
        let made = r.id.register(&wants_admin, Rules::PERFECT21, Some(&root.principal()), &meta()).await.unwrap();
        assert_eq!(made.role, Role::Admin);
    }

    async fn wrong_passwords_and_unknown_users_get_the_same_answer(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        assert!(matches!(r.id.login("ann", "Wrong123!", false, &meta()).await, Err(Error::InvalidCredentials)));
        assert!(matches!(r.id.login("ghost", "Wrong123!", false, &meta()).await, Err(Error::InvalidCredentials)));
        assert!(matches!(r.id.login("", "", false, &meta()).await, Err(Error::Validation(f)) if f.len() == 2));
        let root = admin(&r, "root").await;
        let stats = r.id.security_stats(&root.principal()).await.unwrap();
        assert_eq!(stats.total_events, 2);
        assert_eq!(stats.events_last_hour, 2);
        assert_eq!(stats.locked_accounts, 0);
    }

    async fn five_failures_lock_the_account_even_for_the_right_password(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        for _ in 0..4 {
            assert!(matches!(r.id.login("ann", "Wrong123!", false, &meta()).await, Err(Error::InvalidCredentials)));
        }
        match r.id.login("ann", "Wrong123!", false, &meta()).await {
            Err(Error::TooManyAttempts { retry_after_secs }) => assert!((890..=900).contains(&retry_after_secs)),
            other => panic!("expected a lockout, got {other:?}"),
        }
        assert!(matches!(r.id.login("ann", "Secret123!", false, &meta()).await, Err(Error::TooManyAttempts { .. })));
        let root = admin(&r, "root").await;
        let stats = r.id.security_stats(&root.principal()).await.unwrap();
        assert_eq!(stats.locked_accounts, 1);
        assert_eq!(stats.total_events, 6, "five failures and one lockout");
        assert_eq!(stats.password_policy.lockout_threshold, 5);
    }

    async fn refresh_tokens_rotate_and_a_replay_ends_the_session(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        let first = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let second = r.id.refresh(&first.tokens.refresh_token, &meta()).await.unwrap();
        assert_ne!(second.tokens.refresh_token, first.tokens.refresh_token);
        assert_eq!(second.tokens.session_id, first.tokens.session_id);
        assert!(r.id.authenticate(&second.tokens.access_token).await.is_ok());

        // Someone replays the first token: the whole family dies, the thief's and the owner's tokens alike.
        assert!(matches!(r.id.refresh(&first.tokens.refresh_token, &meta()).await, Err(Error::InvalidRefreshToken)));
        assert!(matches!(r.id.refresh(&second.tokens.refresh_token, &meta()).await, Err(Error::InvalidRefreshToken)));
        assert!(matches!(r.id.authenticate(&second.tokens.access_token).await, Err(Error::InvalidToken)));
        assert!(matches!(r.id.refresh("garbage", &meta()).await, Err(Error::InvalidRefreshToken)));
        assert!(matches!(r.id.refresh(" ", &meta()).await, Err(Error::Validation(_))));
    }

    async fn remember_me_makes_the_session_last_longer(db: Db) {
        let r = rig(db.clone()).await;
        user(&r, "ann").await;
        let short = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let long = r.id.login("ann", "Secret123!", true, &meta()).await.unwrap();
        let expiry = |sid: String| {
            let db = db.clone();
            async move {
                let at: chrono::DateTime<chrono::Utc> = on_pool!(&db, |p| sqlx::query_scalar("SELECT expires_at FROM sessions WHERE id = $1").bind(&sid).fetch_one(p).await).unwrap();
                (at - chrono::Utc::now()).num_days()
            }
        };
        assert_eq!(expiry(short.tokens.session_id).await, 6, "seven days, less the moments since");
        assert_eq!(expiry(long.tokens.session_id).await, 29, "thirty days, less the moments since");
    }

    async fn logout_ends_only_its_own_session(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        let laptop = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let phone = r.id.login("ann", "Secret123!", true, &meta()).await.unwrap();
        let auth = r.id.authenticate(&laptop.tokens.access_token).await.unwrap();
        r.id.logout(&auth, &meta()).await.unwrap();
        assert!(matches!(r.id.authenticate(&laptop.tokens.access_token).await, Err(Error::InvalidToken)));
        assert!(matches!(r.id.refresh(&laptop.tokens.refresh_token, &meta()).await, Err(Error::InvalidRefreshToken)));
        assert!(r.id.authenticate(&phone.tokens.access_token).await.is_ok());
    }

    async fn changing_the_password_ends_every_session(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        let a = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let b = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let auth = r.id.authenticate(&a.tokens.access_token).await.unwrap();
        let rule = Rules::PERFECT21.password;
        assert!(matches!(r.id.change_password(&auth, "Nope123!", "Newer456!", rule, &meta()).await, Err(Error::InvalidOldPassword)));
        assert!(matches!(r.id.change_password(&auth, "Secret123!", "weak", rule, &meta()).await, Err(Error::Validation(f)) if f[0].field() == "new_password"));
        r.id.change_password(&auth, "Secret123!", "Newer456!", rule, &meta()).await.unwrap();
        for s in [&a, &b] {
            assert!(r.id.authenticate(&s.tokens.access_token).await.is_err());
            assert!(r.id.refresh(&s.tokens.refresh_token, &meta()).await.is_err());
        }
        assert!(matches!(r.id.login("ann", "Secret123!", false, &meta()).await, Err(Error::InvalidCredentials)));
        assert!(r.id.login("ann", "Newer456!", false, &meta()).await.is_ok());
    }

    async fn disabling_or_deleting_a_user_ends_their_sessions(db: Db) {
        let r = rig(db).await;
        let root = admin(&r, "root").await.principal();
        let ann = user(&r, "ann").await;
        let bob = user(&r, "bob").await;
        let ann_s = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let bob_s = r.id.login("bob", "Secret123!", false, &meta()).await.unwrap();

        let off = AdminChanges { is_active: Some(false), ..Default::default() };
        let disabled = r.id.update_user(&root, ann.id, &off, UsernameRule::Standard, &meta()).await.unwrap();
        assert!(!disabled.is_active);
        assert!(matches!(r.id.authenticate(&ann_s.tokens.access_token).await, Err(Error::UserInactive)));
        assert!(matches!(r.id.login("ann", "Secret123!", false, &meta()).await, Err(Error::AccountInactive)));

        r.id.delete_user(&root, bob.id, &meta()).await.unwrap();
        assert!(matches!(r.id.authenticate(&bob_s.tokens.access_token).await, Err(Error::UserInactive)));
        assert!(matches!(r.id.login("bob", "Secret123!", false, &meta()).await, Err(Error::InvalidCredentials)));
        assert!(matches!(r.id.delete_user(&root, bob.id, &meta()).await, Err(Error::UserNotFound)));
        assert!(matches!(r.id.delete_user(&root, root.user_id, &meta()).await, Err(Error::Forbidden(_))));
        assert!(matches!(r.id.update_user(&root, root.user_id, &off, UsernameRule::Standard, &meta()).await, Err(Error::Forbidden(_))));
    }

    async fn roles_are_read_fresh_on_every_request(db: Db) {
        let r = rig(db).await;
        let root = admin(&r, "root").await.principal();
        let ann = user(&r, "ann").await;
        let s = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let promote = AdminChanges { role: Some(Role::Admin), ..Default::default() };
        r.id.update_user(&root, ann.id, &promote, UsernameRule::Standard, &meta()).await.unwrap();
        assert_eq!(r.id.authenticate(&s.tokens.access_token).await.unwrap().principal().role, Role::Admin);
    }

    async fn only_administrators_manage_users(db: Db) {
        let r = rig(db).await;
        let root = admin(&r, "root").await.principal();
        let ann = user(&r, "ann").await;
        for name in ["bob", "carl", "dora"] {
            user(&r, name).await;
        }
        let page = r.id.list_users(&root, &UserFilter::default(), 1, 2).await.unwrap();
        assert_eq!(page.total, 5);
        assert_eq!(page.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["ann", "bob"]);
        let me = ann.principal();
        assert!(matches!(r.id.list_users(&me, &UserFilter::default(), 0, 10).await, Err(Error::Forbidden(_))));
        assert!(matches!(r.id.security_stats(&me).await, Err(Error::Forbidden(_))));
        assert_eq!(r.id.user_for(&me, ann.id).await.unwrap().id, ann.id);
        assert!(matches!(r.id.user_for(&me, root.user_id).await, Err(Error::Forbidden(_))));
        assert!(matches!(r.id.user_for(&root, 9999).await, Err(Error::UserNotFound)));
        let off = AdminChanges { is_active: Some(false), ..Default::default() };
        assert!(matches!(r.id.update_user(&me, root.user_id, &off, UsernameRule::Standard, &meta()).await, Err(Error::Forbidden(_))));
        assert!(matches!(r.id.delete_user(&me, root.user_id, &meta()).await, Err(Error::Forbidden(_))));
    }

    async fn profiles_change_with_validation_and_an_audit_trail(db: Db) {
        let r = rig(db.clone()).await;
        user(&r, "ann").await;
        user(&r, "bob").await;
        let s = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let auth = r.id.authenticate(&s.tokens.access_token).await.unwrap();
        assert!(matches!(r.id.update_profile(&auth, &ProfileChanges::default(), UsernameRule::Standard, &meta()).await, Err(Error::NoUpdateData)));
        let taken = ProfileChanges { email: Some("bob@example.com".into()), ..Default::default() };
        assert!(matches!(r.id.update_profile(&auth, &taken, UsernameRule::Standard, &meta()).await, Err(Error::UserExists { field: "email" })));
        let change = ProfileChanges { email: Some("ann.new@example.com".into()), full_name: Some("Ann New".into()), ..Default::default() };
        let after = r.id.update_profile(&auth, &change, UsernameRule::Standard, &meta()).await.unwrap();
        assert_eq!((after.email.as_str(), after.full_name.as_str()), ("ann.new@example.com", "Ann New"));

        let trail = db.recent_audit(10).await.unwrap();
        let update = trail.iter().find(|a| a.action == "UPDATE" && a.resource_type == "user").unwrap();
        let changes = &update.changes.as_ref().unwrap().0;
        assert_eq!(changes["email"]["to"], "ann.new@example.com");
        assert_eq!(update.ip_address.as_deref(), Some("203.0.113.7"));
        assert_eq!(update.user_agent.as_deref(), Some("test-agent/1"));
        assert!(trail.iter().any(|a| a.action == "LOGIN"));
        assert!(trail.iter().all(|a| !a.changes.as_ref().is_some_and(|c| c.0.to_string().contains("Secret123!"))), "no secrets in the trail");
    }

    async fn registration_codes_arrive_by_mail_and_work_once(db: Db) {
        let r = rig(db.clone()).await;
        let sent = r.id.send_code("New@Example.com", CodePurpose::Register, &meta()).await.unwrap();
        assert_eq!((sent.cooldown_seconds, sent.remaining_daily_sends, sent.expire_minutes), (60, 9, 10));
        let mail = r.mail.wait_for("new@example.com", Duration::from_secs(10)).await.expect("the code is mailed");
        let code = mail.code().unwrap();
        assert!(matches!(r.id.send_code("new@example.com", CodePurpose::Register, &meta()).await, Err(Error::RateLimited { retry_after_secs }) if retry_after_secs <= 60));

        r.id.verify_code("new@example.com", &code, CodePurpose::Register).await.unwrap();
        let registration = Registration { email: "new@example.com".into(), ..reg("newbie") };
        let signed = r.id.register_with_code(&registration, &code, Rules::PLANNER, &meta()).await.unwrap();
        assert!(signed.user.email_verified);
        assert!(r.id.authenticate(&signed.tokens.access_token).await.is_ok());
        let again = Registration { email: "new@example.com".into(), ..reg("other") };
        assert!(matches!(r.id.register_with_code(&again, &code, Rules::PLANNER, &meta()).await, Err(Error::VerificationCode(CodeProblem::Used))));
        assert!(matches!(r.id.send_code("new@example.com", CodePurpose::Register, &meta()).await, Err(Error::UserExists { field: "email" })));
    }

    async fn three_wrong_codes_kill_the_code_and_old_codes_expire(db: Db) {
        let r = rig(db.clone()).await;
        r.id.send_code("ann@example.com", CodePurpose::Register, &meta()).await.unwrap();
        let code = r.mail.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap().code().unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for expected in [CodeProblem::Invalid, CodeProblem::Invalid, CodeProblem::TooManyAttempts] {
            assert!(matches!(r.id.verify_code("ann@example.com", wrong, CodePurpose::Register).await, Err(Error::VerificationCode(p)) if p == expected));
        }
        assert!(matches!(r.id.verify_code("ann@example.com", &code, CodePurpose::Register).await, Err(Error::VerificationCode(CodeProblem::TooManyAttempts))), "dead even for the right code");

        age_codes(&db, "ann@example.com", 120).await;
        r.id.send_code("ann@example.com", CodePurpose::Register, &meta()).await.unwrap();
        age_codes(&db, "ann@example.com", 11 * 60).await;
        let fresh = r.mail.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap().code().unwrap();
        assert!(matches!(r.id.verify_code("ann@example.com", &fresh, CodePurpose::Register).await, Err(Error::VerificationCode(CodeProblem::Invalid))), "expired after ten minutes");
    }

    async fn ten_codes_a_day_at_most(db: Db) {
        let r = rig(db.clone()).await;
        for n in 1..=10 {
            let sent = r.id.send_code("busy@example.com", CodePurpose::Register, &meta()).await.unwrap();
            assert_eq!(sent.remaining_daily_sends, 10 - n);
            age_codes(&db, "busy@example.com", 61).await;
        }
        assert!(matches!(r.id.send_code("busy@example.com", CodePurpose::Register, &meta()).await, Err(Error::RateLimited { .. })));
    }

    async fn password_reset_answers_alike_and_mails_only_real_accounts(db: Db) {
        let r = rig(db).await;
        user(&r, "ann").await;
        let old = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let known = r.id.send_password_reset("ann@example.com", &meta()).await.unwrap();
        let unknown = r.id.send_password_reset("nobody@example.com", &meta()).await.unwrap();
        assert_eq!((known.cooldown_seconds, known.remaining_daily_sends, known.expire_minutes), (unknown.cooldown_seconds, unknown.remaining_daily_sends, unknown.expire_minutes));
        assert!(matches!(r.id.send_password_reset("nobody@example.com", &meta()).await, Err(Error::RateLimited { .. })), "the cooldown applies to every address alike");

        let code = r.mail.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap().code().unwrap();
        assert!(r.mail.wait_for("nobody@example.com", Duration::from_millis(300)).await.is_none(), "no mail to unknown addresses");
        assert!(matches!(r.id.reset_password("nobody@example.com", &code, "Fresh789!", Rules::PLANNER, &meta()).await, Err(Error::VerificationCode(_))));
        r.id.reset_password("ann@example.com", &code, "Fresh789!", Rules::PLANNER, &meta()).await.unwrap();
        assert!(r.id.authenticate(&old.tokens.access_token).await.is_err(), "a reset ends every session");
        assert!(r.id.login("ann", "Fresh789!", false, &meta()).await.is_ok());
        assert!(matches!(r.id.reset_password("ann@example.com", &code, "Again789!", Rules::PLANNER, &meta()).await, Err(Error::VerificationCode(CodeProblem::Used))));
    }

    async fn perfect21_confirmation_tokens_confirm_once(db: Db) {
        let r = rig(db).await;
        let ann = user(&r, "ann").await;
        assert!(!ann.email_verified);
        let token = r.id.issue_email_token(&ann).await.unwrap();
        let mail = r.mail.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap();
        assert!(mail.data.contains(&token), "the token is mailed as well");
        assert!(r.id.confirm_email(&token, &meta()).await.unwrap().email_verified);
        assert!(matches!(r.id.confirm_email(&token, &meta()).await, Err(Error::VerificationCode(CodeProblem::Used))));
        assert!(matches!(r.id.confirm_email("forged", &meta()).await, Err(Error::VerificationCode(CodeProblem::Invalid))));
    }

    async fn the_first_administrator_is_created_once(db: Db) {
        let r = rig(db).await;
        let created = r.id.ensure_admin(&AdminBootstrap::default()).await.unwrap().unwrap();
        assert_eq!(created.username, "admin");
        let password = created.generated_password.unwrap();
        let s = r.id.login("admin", &password, false, &meta()).await.unwrap();
        assert_eq!(s.user.role, Role::Admin);
        assert_eq!(r.id.ensure_admin(&AdminBootstrap::default()).await.unwrap(), None);
    }

    async fn a_restart_keeps_everyone_signed_in(db: Db) {
        let r = rig(db.clone()).await;
        user(&r, "ann").await;
        let s = r.id.login("ann", "Secret123!", false, &meta()).await.unwrap();
        let mailer = Mailer::from_config(&MailConfig::default(), r.dir.path()).unwrap();
        let restarted = Identity::new(r.db.clone(), IdentityConfig::default(), r.dir.path(), mailer).await.unwrap();
        assert!(restarted.authenticate(&s.tokens.access_token).await.is_ok(), "the generated secret was kept");
        assert!(restarted.refresh(&s.tokens.refresh_token, &meta()).await.is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_nodes_with_different_generated_secrets_refuse_to_start() {
    let Some(pg) = slipway_store::testing::postgres().await else { return };
    let first = rig(pg.db.clone()).await;
    let other_dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_config(&MailConfig::default(), other_dir.path()).unwrap();
    match Identity::new(pg.db.clone(), IdentityConfig::default(), other_dir.path(), mailer.clone()).await {
        Err(Error::Internal(msg)) => assert!(msg.contains("SLIPWAY_JWT_SECRET"), "{msg}"),
        Ok(_) => panic!("a second generated secret must be refused"),
        Err(other) => panic!("unexpected error {other:?}"),
    }
    let shared = IdentityConfig {
        jwt_secret: Some("a shared secret of at least thirty-two characters".into()),
        ..Default::default()
    };
    assert!(
        Identity::new(pg.db.clone(), shared, other_dir.path(), mailer).await.is_ok(),
        "a configured secret is fine"
    );
    drop(first);
}

#[tokio::test]
async fn without_smtp_mail_lands_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_config(&MailConfig::default(), dir.path()).unwrap();
    mailer.send("ann@example.com", "Hello", "Your code is 123456.").await.unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("To: ann@example.com") && text.contains("Your code is 123456."), "{text}");
}
