"""Where personal data is stored: every model field that holds a person's data, and its class.

The records of processing (docs/privacy.md) are written from this table, and
core/tests/test_personal_data.py keeps the two and the models honest: it walks every
model of every installed app and fails when a field whose name or type suggests personal
data (a NIK, phone, name, birth date, colour or status, test result, dose, address, IP,
coordinates, a link to a person) is neither listed here nor allowed there with a reason,
when an entry here names a field that no longer exists, and when a model listed here is
not named in docs/privacy.md.

Models are named by their label ("people.Person"), so this module imports no app and
sits in `core` like the crypto that protects the same fields.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A class of personal data, as docs/privacy.md groups them."""

    NIK = "nik"  # encrypted, its keyed blind index, its masked form
    PHONE = "phone"  # encrypted, blind index, masked; staff numbers in plain text
    NAME = "name"  # people's and staff's names, user names
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    CIVIL = "civil"  # family card (blind index), relation to the account holder, death
    HOME_REGION = "home_region"  # where someone lives: region codes, the NIK's district
    HEALTH = "health"  # doses, results, designations, colours, cases, contacts
    LOCATION = "location"  # where and when a person was: check-ins, a case's visits
    CONTACT = "contact"  # e-mail addresses, a message's recipient address
    MESSAGE = "message"  # what was sent to a person
    NETWORK = "network"  # IP addresses, their keyed hashes, browsers' user agents
    ACTIVITY = "activity"  # what someone did or read (audit, admin log, sign-in tries)
    CONSENT = "consent"  # acceptances of the privacy notice


_HEALTH_RECORD = {"nik_index": Kind.NIK, "source": Kind.HEALTH, "recorded_at": Kind.HEALTH}

PERSONAL: dict[str, dict[str, Kind]] = {
    # --- Accounts and sign-in -------------------------------------------------------------
    "accounts.User": {
        "username": Kind.NAME,
        "first_name": Kind.NAME,
        "last_name": Kind.NAME,
        "email": Kind.CONTACT,
        "phone": Kind.PHONE,  # staff's contact number, shown to colleagues
        "phone_index": Kind.PHONE,
        "phone_encrypted": Kind.PHONE,
        "phone_masked": Kind.PHONE,
        "last_login": Kind.ACTIVITY,
    },
    "accounts.OneTimeCode": {"phone_index": Kind.PHONE, "address_index": Kind.NETWORK},
    # key: "phone:<index>", "address:<index>" or the pair of them.
    "accounts.SignInGuard": {"key": Kind.PHONE},
    "accounts.PrivacyAcceptance": {
        "user": Kind.CONSENT,
        "version": Kind.CONSENT,
        "accepted_at": Kind.CONSENT,
    },
    "accounts.ApiToken": {"user": Kind.ACTIVITY, "last_used_at": Kind.ACTIVITY},
    # The number being signed in between the web sign-in's two steps, and the account.
    "sessions.Session": {"session_data": Kind.PHONE},
    "otp_totp.TOTPDevice": {"user": Kind.ACTIVITY, "last_used_at": Kind.ACTIVITY},
    "otp_static.StaticDevice": {"user": Kind.ACTIVITY, "last_used_at": Kind.ACTIVITY},
    # django-axes: staff's failed password sign-ins.
    "axes.AccessAttempt": {
        "username": Kind.NAME,
        "ip_address": Kind.NETWORK,
        "user_agent": Kind.NETWORK,
        "get_data": Kind.ACTIVITY,
        "post_data": Kind.ACTIVITY,
    },
    "axes.AccessFailureLog": {
        "username": Kind.NAME,
        "ip_address": Kind.NETWORK,
        "user_agent": Kind.NETWORK,
    },
    "axes.AccessLog": {
        "username": Kind.NAME,
        "ip_address": Kind.NETWORK,
        "user_agent": Kind.NETWORK,
    },
    # --- Identity ------------------------------------------------------------------------
    "people.Person": {
        "account": Kind.CIVIL,
        "relation": Kind.CIVIL,
        "nik_index": Kind.NIK,
        "nik_encrypted": Kind.NIK,
        "nik_masked": Kind.NIK,
        "full_name": Kind.NAME,
        "birth_date": Kind.BIRTH_DATE,
        "sex": Kind.SEX,
        "family_card_index": Kind.CIVIL,
        "nik_claimed_at": Kind.NIK,
    },
    "people.DependantRequest": {
        "account": Kind.CIVIL,
        "nik_index": Kind.NIK,
        "nik_encrypted": Kind.NIK,
        "nik_masked": Kind.NIK,
        "full_name": Kind.NAME,
        "birth_date": Kind.BIRTH_DATE,
        "sex": Kind.SEX,
        "relation": Kind.CIVIL,
        "family_card_index": Kind.CIVIL,
        "region_code": Kind.HOME_REGION,
        "reason": Kind.CIVIL,
        "status": Kind.CIVIL,  # the request's state: pending, approved, rejected
        "person": Kind.CIVIL,  # the dependant made when approved
    },
    "people.NikClaimAttempt": {"nik_index": Kind.NIK, "attempted_by": Kind.ACTIVITY},
    "people.IdentityRefusal": {
        "account": Kind.ACTIVITY,
        "nik_index": Kind.NIK,
        "nik_masked": Kind.NIK,
        "outcome": Kind.CIVIL,
    },
    "identity.Resident": {
        "nik_index": Kind.NIK,
        "nik_encrypted": Kind.NIK,
        "full_name": Kind.NAME,
        "birth_date": Kind.BIRTH_DATE,
        "sex": Kind.SEX,
        "family_card_index": Kind.CIVIL,
        "region_code": Kind.HOME_REGION,
        "died_on": Kind.CIVIL,
    },
    "rosters.RosterEntry": {
        "phone_index": Kind.PHONE,
        "phone_encrypted": Kind.PHONE,
        "phone_masked": Kind.PHONE,
        "nik_index": Kind.NIK,
        "nik_encrypted": Kind.NIK,
        "nik_masked": Kind.NIK,
        "role": Kind.CIVIL,  # the job at the venue
    },
    # A venue's coordinator, named on its registration.
    "venues.Venue": {
        "coordinator_name": Kind.NAME,
        "coordinator_position": Kind.NAME,
        "coordinator_email": Kind.CONTACT,
        "coordinator_phone": Kind.PHONE,
    },
    # --- Health --------------------------------------------------------------------------
    "health.VaccinationDose": {
        **_HEALTH_RECORD,
        "dose_number": Kind.HEALTH,
        "given_on": Kind.HEALTH,
        "product": Kind.HEALTH,
        "product_code": Kind.HEALTH,
        "single_dose_product": Kind.HEALTH,
    },
    "health.LabResult": {
        **_HEALTH_RECORD,
        "method": Kind.HEALTH,
        "result": Kind.HEALTH,
        "specimen_at": Kind.HEALTH,
        "lab": Kind.HEALTH,
        "nik_district": Kind.HOME_REGION,  # the NIK's first six digits
    },
    "health.Designation": {
        **_HEALTH_RECORD,
        "kind": Kind.HEALTH,
        "starts_at": Kind.HEALTH,
        "ended_at": Kind.HEALTH,
        "reason": Kind.HEALTH,
    },
    "health.TravelQuarantine": {
        **_HEALTH_RECORD,
        "starts_on": Kind.HEALTH,
        "ends_on": Kind.HEALTH,
    },
    "health.VaccinationExemption": {
        **_HEALTH_RECORD,
        "starts_on": Kind.HEALTH,
        "ends_on": Kind.HEALTH,
        "reason": Kind.HEALTH,
    },
    "screening.StatusPass": {
        "person": Kind.HEALTH,
        "colour": Kind.HEALTH,
        "reasons": Kind.HEALTH,
        "issued_at": Kind.HEALTH,
    },
    # --- Check-ins (location history) ----------------------------------------------------
    "checkins.CheckIn": {
        "person": Kind.LOCATION,
        "account": Kind.LOCATION,
        "venue": Kind.LOCATION,
        "entry_point": Kind.LOCATION,
        "scanned_at": Kind.LOCATION,
        "checked_in_at": Kind.LOCATION,
        "planned_checkout_at": Kind.LOCATION,
        "checked_out_at": Kind.LOCATION,
        "visitor_type": Kind.LOCATION,
        "decision": Kind.HEALTH,
        "reasons": Kind.HEALTH,
        "colour": Kind.HEALTH,
        "colour_reasons": Kind.HEALTH,
    },
    # A check-in past retention that a legal hold keeps (PostgreSQL): the same columns.
    "checkins.HeldCheckIn": {
        "person": Kind.LOCATION,
        "account": Kind.LOCATION,
        "venue": Kind.LOCATION,
        "entry_point": Kind.LOCATION,
        "scanned_at": Kind.LOCATION,
        "checked_in_at": Kind.LOCATION,
        "planned_checkout_at": Kind.LOCATION,
        "checked_out_at": Kind.LOCATION,
        "visitor_type": Kind.LOCATION,
        "decision": Kind.HEALTH,
        "reasons": Kind.HEALTH,
        "colour": Kind.HEALTH,
        "colour_reasons": Kind.HEALTH,
    },
    # The stored answer to a check-in request: each person's decision and colour.
    "checkins.CheckInRequest": {"account": Kind.LOCATION, "result": Kind.HEALTH},
    "checkins.BlackStatusAlert": {"checkin": Kind.HEALTH, "home_region_code": Kind.HOME_REGION},
    # --- Contact tracing -----------------------------------------------------------------
    "tracing.Case": {
        "person": Kind.HEALTH,
        "lab_result": Kind.HEALTH,
        "specimen_date": Kind.HEALTH,
        "symptom_onset": Kind.HEALTH,
        "isolation_started_at": Kind.HEALTH,
        "window_start": Kind.HEALTH,
        "window_end": Kind.HEALTH,
        "status": Kind.HEALTH,
        "home_region_code": Kind.HOME_REGION,
    },
    "tracing.CaseWindowChange": {"case": Kind.HEALTH, "reason": Kind.HEALTH},
    "tracing.CaseVisit": {
        "case": Kind.LOCATION,
        "checkin": Kind.LOCATION,
        "venue": Kind.LOCATION,
        "start": Kind.LOCATION,
        "end": Kind.LOCATION,
    },
    "tracing.Contact": {
        "person": Kind.HEALTH,
        "score": Kind.HEALTH,
        "seconds": Kind.HEALTH,
        "is_close": Kind.HEALTH,
        "last_exposure_at": Kind.HEALTH,
        "visits": Kind.LOCATION,
        "designation": Kind.HEALTH,
    },
    "tracing.ContactVenue": {"contact": Kind.LOCATION, "venue": Kind.LOCATION},
    # --- Messages ------------------------------------------------------------------------
    "notifications.Message": {
        "to_user": Kind.MESSAGE,
        "to_person": Kind.MESSAGE,
        "address_encrypted": Kind.CONTACT,
        "address_index": Kind.CONTACT,
        "address_masked": Kind.CONTACT,
        "subject": Kind.MESSAGE,
        "body": Kind.MESSAGE,
        "context": Kind.MESSAGE,  # the arguments of a text not rendered yet
        "status": Kind.MESSAGE,  # delivery: queued, sent, failed
    },
    # --- Audit ---------------------------------------------------------------------------
    "audit.AuditEvent": {
        "actor": Kind.ACTIVITY,
        "detail": Kind.ACTIVITY,
        "ip": Kind.NETWORK,
        "actor_role": Kind.ACTIVITY,
        "actor_org": Kind.ACTIVITY,
    },
    "audit.AuditSubject": {"nik_index": Kind.NIK},
    # A visitor's request to close the account: it outlives the account, so it names its
    # people by blind index only, and what a legal hold keeps.
    "erasure.ErasureRequest": {
        "account": Kind.ACTIVITY,
        "account_ref": Kind.ACTIVITY,
        "nik_indexes": Kind.NIK,
        "status": Kind.ACTIVITY,
        "holds": Kind.ACTIVITY,
    },
    # A citizen's copy of their data, encrypted in the row until its link expires.
    "rights.ExportRequest": {
        "account": Kind.ACTIVITY,
        "content": Kind.NIK,  # the whole copy: every class above
        "status": Kind.ACTIVITY,
    },
    # Partner apps (docs/partners.md): whom a citizen connected, with what scopes, when
    # each was last used; which partner submitted a check-in; who a partner called for on
    # a day; and django-oauth-toolkit's grants and tokens (their owner; only hashes of the
    # tokens themselves).
    "partners.Connection": {
        "account": Kind.CONSENT,
        "scopes": Kind.CONSENT,
        "connected_at": Kind.CONSENT,
        "last_used_at": Kind.ACTIVITY,
        "disconnected_at": Kind.CONSENT,
    },
    "partners.PartnerCheckIn": {"account": Kind.LOCATION, "nonce": Kind.LOCATION},
    "partners.DailyUser": {"account": Kind.ACTIVITY},
    "oauth2_provider.AccessToken": {"user": Kind.ACTIVITY},
    "oauth2_provider.RefreshToken": {"user": Kind.ACTIVITY},
    "oauth2_provider.Grant": {"user": Kind.CONSENT},
    # The people a personal-data breach touched, and when they were told.
    "breaches.BreachSubject": {
        "person": Kind.MESSAGE,
        "nik_index": Kind.NIK,
        "account": Kind.MESSAGE,
        "has_phone": Kind.PHONE,
        "notified_at": Kind.MESSAGE,
    },
    "admin.LogEntry": {
        "user": Kind.ACTIVITY,
        "object_repr": Kind.NAME,
        "change_message": Kind.ACTIVITY,
    },
}
