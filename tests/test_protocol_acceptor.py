"""The acceptor emits exactly the effects Paxos requires, in order, and nothing else."""

from __future__ import annotations

from desert_paxos.protocol import (
    Accept,
    Accepted,
    AcceptorRecord,
    Caravan,
    Config,
    Nack,
    Persist,
    Prepare,
    Promise,
    Proposal,
    Send,
    variant_named,
)

from .conftest import b


def test_first_prepare_persists_then_promises(config: Config) -> None:
    taziri = Caravan(config, "Taziri")
    effects = taziri.on_message("Aghilas", Prepare(ballot=b(1, "Aghilas")))
    record = AcceptorRecord(promised=b(1, "Aghilas"))
    assert effects == [
        Persist(record=record),
        Send(dst="Aghilas", msg=Promise(ballot=b(1, "Aghilas"), accepted=None)),
    ]
    assert taziri.record == record


def test_lower_prepare_is_refused_with_the_promised_ballot(config: Config) -> None:
    taziri = Caravan(config, "Taziri", AcceptorRecord(promised=b(5, "Itri")))
    effects = taziri.on_message("Aghilas", Prepare(ballot=b(3, "Aghilas")))
    assert effects == [Send(dst="Aghilas", msg=Nack(ballot=b(3, "Aghilas"), promised=b(5, "Itri")))]
    assert taziri.promised == b(5, "Itri")


def test_same_round_lower_name_is_refused(config: Config) -> None:
    # (1, Aghilas) < (1, Tassadit): the name breaks the tie, so ballots never collide.
    itri = Caravan(config, "Itri", AcceptorRecord(promised=b(1, "Tassadit")))
    effects = itri.on_message("Aghilas", Prepare(ballot=b(1, "Aghilas")))
    assert effects == [
        Send(dst="Aghilas", msg=Nack(ballot=b(1, "Aghilas"), promised=b(1, "Tassadit")))
    ]


def test_duplicate_prepare_is_answered_without_a_new_write(config: Config) -> None:
    taziri = Caravan(config, "Taziri")
    taziri.on_message("Aghilas", Prepare(ballot=b(1, "Aghilas")))
    again = taziri.on_message("Aghilas", Prepare(ballot=b(1, "Aghilas")))
    assert again == [Send(dst="Aghilas", msg=Promise(ballot=b(1, "Aghilas"), accepted=None))]


def test_promise_reports_the_accepted_proposal(config: Config) -> None:
    record = AcceptorRecord(
        promised=b(2, "Itri"), accepted_ballot=b(2, "Itri"), accepted_value="Siwa"
    )
    amastan = Caravan(config, "Amastan", record)
    effects = amastan.on_message("Taziri", Prepare(ballot=b(3, "Taziri")))
    assert effects == [
        Persist(
            record=AcceptorRecord(
                promised=b(3, "Taziri"), accepted_ballot=b(2, "Itri"), accepted_value="Siwa"
            )
        ),
        Send(
            dst="Taziri",
            msg=Promise(
                ballot=b(3, "Taziri"), accepted=Proposal(ballot=b(2, "Itri"), value="Siwa")
            ),
        ),
    ]


def test_accept_at_promised_ballot_persists_then_votes(config: Config) -> None:
    itri = Caravan(config, "Itri", AcceptorRecord(promised=b(2, "Aghilas")))
    effects = itri.on_message("Aghilas", Accept(ballot=b(2, "Aghilas"), value="Siwa"))
    record = AcceptorRecord(
        promised=b(2, "Aghilas"), accepted_ballot=b(2, "Aghilas"), accepted_value="Siwa"
    )
    assert effects == [
        Persist(record=record),
        Send(dst="Aghilas", msg=Accepted(ballot=b(2, "Aghilas"), value="Siwa")),
    ]


def test_accept_above_promise_raises_the_promise(config: Config) -> None:
    itri = Caravan(config, "Itri", AcceptorRecord(promised=b(1, "Aghilas")))
    itri.on_message("Taziri", Accept(ballot=b(4, "Taziri"), value="Timbuktu"))
    assert itri.promised == b(4, "Taziri")
    assert itri.record.accepted_value == "Timbuktu"


def test_accept_below_promise_is_refused(config: Config) -> None:
    itri = Caravan(config, "Itri", AcceptorRecord(promised=b(4, "Taziri")))
    effects = itri.on_message("Aghilas", Accept(ballot=b(2, "Aghilas"), value="Siwa"))
    assert effects == [
        Send(dst="Aghilas", msg=Nack(ballot=b(2, "Aghilas"), promised=b(4, "Taziri")))
    ]
    assert itri.record.accepted_value is None


def test_duplicate_accept_votes_again_without_writing(config: Config) -> None:
    itri = Caravan(config, "Itri")
    itri.on_message("Aghilas", Accept(ballot=b(1, "Aghilas"), value="Siwa"))
    again = itri.on_message("Aghilas", Accept(ballot=b(1, "Aghilas"), value="Siwa"))
    assert again == [Send(dst="Aghilas", msg=Accepted(ballot=b(1, "Aghilas"), value="Siwa"))]


def test_forgetful_acceptor_promises_without_persisting() -> None:
    config = Config(variant=variant_named("forgetful-acceptor"))
    itri = Caravan(config, "Itri")
    effects = itri.on_message("Aghilas", Prepare(ballot=b(3, "Aghilas")))
    assert effects == [Send(dst="Aghilas", msg=Promise(ballot=b(3, "Aghilas"), accepted=None))]
    assert itri.promised == b(3, "Aghilas")
    assert itri.record == AcceptorRecord()


def test_reused_ballot_variant_treats_equal_rounds_as_one_ballot() -> None:
    config = Config(variant=variant_named("reused-ballot"))
    itri = Caravan(config, "Itri", AcceptorRecord(promised=b(1, "Tassadit")))
    effects = itri.on_message("Aghilas", Prepare(ballot=b(1, "Aghilas")))
    assert effects[-1] == Send(dst="Aghilas", msg=Promise(ballot=b(1, "Aghilas"), accepted=None))


def test_the_acceptor_carries_the_proposers_round_in_every_write(config: Config) -> None:
    aghilas = Caravan(config, "Aghilas", AcceptorRecord(tried_round=3))
    effects = aghilas.on_message("Itri", Prepare(ballot=b(4, "Itri")))
    assert effects[0] == Persist(record=AcceptorRecord(promised=b(4, "Itri"), tried_round=3))
    effects = aghilas.on_message("Itri", Accept(ballot=b(4, "Itri"), value="Siwa"))
    assert effects[0] == Persist(
        record=AcceptorRecord(
            promised=b(4, "Itri"),
            accepted_ballot=b(4, "Itri"),
            accepted_value="Siwa",
            tried_round=3,
        )
    )
