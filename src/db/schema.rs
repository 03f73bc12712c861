// Shared by both backends; keep in step with migrations/{sqlite,postgres}.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    auth_budgets (key) {
        key -> Text,
        tat -> BigInt,
    }
}

diesel::table! {
    auth_known (key) {
        key -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    clinics (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
        timezone -> Text,
        emergency_number -> Text,
        alert_emails -> Text,
        alert_min_severity -> Text,
        default_locale -> Text,
        push_privacy -> Text,
        code -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        clinic_id -> Text,
        role -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        created_at -> BigInt,
        alert_push -> Bool,
        alert_email -> Bool,
        token_generation -> BigInt,
        active -> Bool,
        locale -> Text,
    }
}

diesel::table! {
    patients (account_id) {
        account_id -> Text,
        clinic_id -> Text,
        timezone -> Text,
        fitzpatrick -> Integer,
        created_by -> Text,
        change_seq -> BigInt,
        tombstones_pruned_seq -> BigInt,
        discharged_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        account_id -> Text,
        token_hash -> Text,
        issued_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    enrolment_codes (code_hash) {
        code_hash -> Text,
        patient_id -> Text,
        clinic_id -> Text,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        clinic_id -> Text,
        actor_id -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        at -> BigInt,
        details -> Nullable<Text>,
    }
}

diesel::table! {
    protocols (id) {
        id -> Text,
        clinic_id -> Nullable<Text>,
        name -> Text,
        version -> Integer,
        definition -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    treatments (id) {
        id -> Text,
        patient_id -> Text,
        clinic_id -> Text,
        protocol_id -> Text,
        performed_at -> BigInt,
        day0 -> Date,
        area -> Text,
        depth_mm -> Double,
        addons -> Text,
        session_number -> Integer,
        created_by -> Text,
        created_at -> BigInt,
        seq -> BigInt,
        risk_factors -> Text,
        products -> Nullable<Text>,
        previous_treatment_id -> Nullable<Text>,
    }
}

diesel::table! {
    treatment_overrides (treatment_id) {
        treatment_id -> Text,
        contraindications -> Text,
        reason -> Text,
        actor_id -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    treatment_cancellations (treatment_id) {
        treatment_id -> Text,
        reason -> Text,
        actor_id -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    daily_logs (id) {
        id -> Text,
        treatment_id -> Text,
        patient_id -> Text,
        log_date -> Date,
        day -> Integer,
        redness -> Integer,
        swelling -> Integer,
        flaking -> Integer,
        sensitivity -> Integer,
        signs -> Text,
        note -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        seq -> BigInt,
        created_seq -> BigInt,
    }
}

diesel::table! {
    flags (id) {
        id -> Text,
        treatment_id -> Text,
        patient_id -> Text,
        clinic_id -> Text,
        reason -> Text,
        severity -> Text,
        severity_rank -> Integer,
        status -> Text,
        evidence -> Text,
        opened_at -> BigInt,
        updated_at -> BigInt,
        seq -> BigInt,
        opened_evidence -> Text,
        worst_evidence -> Text,
        evidence_days -> Text,
    }
}

diesel::table! {
    flag_events (id) {
        id -> Text,
        flag_id -> Text,
        actor_id -> Text,
        action -> Text,
        note -> Nullable<Text>,
        at -> BigInt,
    }
}

diesel::table! {
    reminder_plans (treatment_id) {
        treatment_id -> Text,
        patient_id -> Text,
        plan -> Text,
        planned_until -> BigInt,
        updated_at -> BigInt,
        updated_by -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    reminder_preferences (patient_id) {
        patient_id -> Text,
        prefs -> Text,
        updated_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> Text,
        account_id -> Text,
        clinic_id -> Text,
        role -> Text,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        console_session -> Nullable<Text>,
        platform -> Text,
        app_id -> Nullable<Text>,
        environment -> Nullable<Text>,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    reminder_occurrences (id) {
        id -> Text,
        identity -> Text,
        treatment_id -> Text,
        patient_id -> Text,
        clinic_id -> Text,
        kind -> Text,
        day -> Integer,
        local_date -> Date,
        local_time -> Text,
        due_at -> BigInt,
        stale_at -> BigInt,
        status -> Text,
        done_at -> Nullable<BigInt>,
        created_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    push_jobs (id) {
        id -> Text,
        dedupe_key -> Text,
        subscription_id -> Text,
        occurrence_id -> Nullable<Text>,
        treatment_id -> Nullable<Text>,
        message -> Text,
        stale_at -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
        claimed_by -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        clinic_id -> Text,
        url -> Text,
        secret -> Text,
        created_by -> Text,
        created_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    alert_deliveries (id) {
        id -> Text,
        flag_id -> Text,
        event -> Text,
        channel -> Text,
        recipient_kind -> Text,
        recipient -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
        claimed_by -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    alert_attempts (id) {
        id -> BigInt,
        delivery_id -> Text,
        at -> BigInt,
        outcome -> Text,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    flag_escalations (flag_id) {
        flag_id -> Text,
        armed_at -> BigInt,
        escalated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sync_tombstones (id) {
        id -> BigInt,
        patient_id -> Text,
        table_name -> Text,
        record_id -> Text,
        seq -> BigInt,
        deleted_at -> BigInt,
    }
}

diesel::table! {
    log_photos (id) {
        id -> Text,
        treatment_id -> Text,
        patient_id -> Text,
        log_date -> Date,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        object_key -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    console_sessions (token_hash) {
        token_hash -> Text,
        account_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    staff_reset_codes (code_hash) {
        code_hash -> Text,
        account_id -> Text,
        clinic_id -> Text,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(patients -> accounts (account_id));
diesel::joinable!(console_sessions -> accounts (account_id));
diesel::joinable!(treatments -> protocols (protocol_id));
diesel::joinable!(flags -> treatments (treatment_id));
diesel::joinable!(daily_logs -> treatments (treatment_id));
diesel::joinable!(log_photos -> treatments (treatment_id));
diesel::joinable!(treatment_overrides -> treatments (treatment_id));
diesel::joinable!(treatment_cancellations -> treatments (treatment_id));
diesel::joinable!(flag_events -> flags (flag_id));
diesel::joinable!(alert_deliveries -> flags (flag_id));
diesel::joinable!(alert_attempts -> alert_deliveries (delivery_id));
diesel::joinable!(flag_escalations -> flags (flag_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    clinics,
    accounts,
    patients,
    refresh_tokens,
    enrolment_codes,
    audit_log,
    protocols,
    treatments,
    treatment_overrides,
    treatment_cancellations,
    daily_logs,
    flags,
    flag_events,
    reminder_plans,
    reminder_preferences,
    push_subscriptions,
    reminder_occurrences,
    push_jobs,
    sync_tombstones,
    log_photos,
    console_sessions,
    webhooks,
    alert_deliveries,
    alert_attempts,
    flag_escalations,
    staff_reset_codes,
);
