package io.streamrag.query.generate;

import io.streamrag.query.records.CandidateResult;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a call may still start for a candidate: decided under the candidate's lock, with the count of calls running, so
 * a spare or hedge never starts after the candidate has succeeded, ended or lost its last running call.
 */
class CandidateCallTest {

    @Test
    void aSpareStartsOnlyBesideARunningCall() {
        CandidateCall call = new CandidateCall(null);
        assertThat(call.add(new CallHandle(null, false), true)).as("spare with nothing running").isFalse();
        assertThat(call.add(new CallHandle(null, false), false)).as("primary").isTrue();
        assertThat(call.add(new CallHandle(null, true), true)).as("spare beside it").isTrue();
        assertThat(call.running).isEqualTo(2);
        assertThat(call.hedges).isEqualTo(1);

        assertThat(call.notStarted(true)).as("its endpoint had no room; the primary still runs")
                .isEqualTo(CandidateCall.NoRoom.CARRY_ON);
        assertThat(call.running).isEqualTo(1);
        assertThat(call.hedges).isZero();
    }

    /**
     * A spare is counted running before its endpoint's room is known; its twin failing in that moment saw it counted,
     * stored its failure and left the end to it. The spare, finding no room, must end the candidate: before, nothing
     * did until its deadline + 1 s.
     */
    @Test
    void aSpareWithNoRoomEndsTheCandidateWhoseTwinFailedMeanwhile() {
        CandidateCall call = new CandidateCall(null);
        assertThat(call.add(new CallHandle(null, false), false)).isTrue();
        assertThat(call.add(new CallHandle(null, true), true)).isTrue();
        CandidateResult failure = new CandidateResult();
        failure.status = "ERROR";
        synchronized (call) { // the primary's report (CandidateGenerator.onAttempt): a call still counted, no end
            call.running--;
            call.firstFailure = failure;
        }
        assertThat(call.notStarted(true)).isEqualTo(CandidateCall.NoRoom.END_FAILED);
        assertThat(call.firstFailure()).isSameAs(failure);
        assertThat(call.running).isZero();
    }

    /**
     * Its twin was turned away (a half-open breaker, a rate limit) while the spare was counted: no failure, and the
     * twin left the candidate to the spare. Finding no room, the spare admits it again; before, the turn-away was
     * taken for its failure (ERROR "circuit open"), or, once not recorded, nothing went on until the deadline.
     */
    @Test
    void aSpareWithNoRoomReAdmitsTheCandidateWhoseTwinWasTurnedAwayOrEndsItCancelledOnceNotNeeded() {
        for (boolean cancelled : new boolean[] {false, true}) {
            CandidateCall call = new CandidateCall(null);
            assertThat(call.add(new CallHandle(null, false), false)).isTrue();
            assertThat(call.add(new CallHandle(null, true), true)).isTrue();
            synchronized (call) { // the primary's report of its turn-away: a call still counted, no failure
                call.running--;
                call.turnedAwayBy = "a";
            }
            if (cancelled) {
                call.cancel(); // the vote was decided meanwhile
            }
            assertThat(call.notStarted(true)).isEqualTo(cancelled ? CandidateCall.NoRoom.END_CANCELLED : CandidateCall.NoRoom.READMIT);
            assertThat(call.turnedAwayBy()).isEqualTo("a");
        }
    }

    @Test
    void onlyTheOneThatLeavesNoCallRunningDecides() {
        // The spare finds no room first: the primary, turned away right after, takes the count to 0 and re-admits
        // (CandidateGenerator.onAttempt); the spare must not admit it a second time.
        CandidateCall call = new CandidateCall(null);
        assertThat(call.add(new CallHandle(null, false), false)).isTrue();
        assertThat(call.add(new CallHandle(null, true), true)).isTrue();
        assertThat(call.notStarted(true)).isEqualTo(CandidateCall.NoRoom.CARRY_ON);
        assertThat(call.running).isEqualTo(1);
    }

    @Test
    void aPrimaryWithNoRoomLeavesTheCandidateToItsAdmission() {
        CandidateCall call = new CandidateCall(null);
        synchronized (call) {
            call.firstFailure = new CandidateResult(); // e.g. a spare that failed before the primary was re-admitted
        }
        assertThat(call.add(new CallHandle(null, false), false)).isTrue();
        assertThat(call.notStarted(false)).as("it tries the next endpoint or waits for a slot").isEqualTo(CandidateCall.NoRoom.CARRY_ON);
    }

    @Test
    void noCallStartsOnceTheCandidateHasSucceeded() {
        CandidateCall call = new CandidateCall(null);
        assertThat(call.add(new CallHandle(null, false), false)).isTrue();
        synchronized (call) {
            call.succeeded = true; // an attempt claimed the result; it completes it a moment later
        }
        assertThat(call.add(new CallHandle(null, true), true)).isFalse();
        assertThat(call.add(new CallHandle(null, false), false)).isFalse();
        assertThat(call.hedges).isZero();
    }

    @Test
    void noCallStartsOnceTheCandidateHasItsResultOrIsCancelled() {
        CandidateCall done = new CandidateCall(null);
        assertThat(done.add(new CallHandle(null, false), false)).isTrue();
        done.result.complete(new CandidateResult()); // e.g. its last call failed and ended it
        assertThat(done.add(new CallHandle(null, true), true)).isFalse();
        assertThat(done.add(new CallHandle(null, false), false)).isFalse();

        CandidateCall cancelled = new CandidateCall(null);
        cancelled.cancel();
        assertThat(cancelled.add(new CallHandle(null, false), false)).isFalse();
    }

    @Test
    void noCallStartsOnceTheCandidateIsUnneededAndItsRunningCallsMakeNoRetry() {
        CandidateCall call = new CandidateCall(null);
        CallHandle running = new CallHandle(null, false);
        assertThat(call.add(running, false)).isTrue();
        call.markUnneeded(); // the vote was decided; the call runs on to show whether it is a straggler
        assertThat(running.unneeded()).as("its endpoint's retry loop stops after the attempt in flight").isTrue();
        assertThat(running.cancelled()).as("the attempt in flight may finish").isFalse();
        assertThat(call.add(new CallHandle(null, false), false)).as("re-admission").isFalse();
        assertThat(call.add(new CallHandle(null, true), true)).as("spare or hedge").isFalse();
        assertThat(call.running).isEqualTo(1);
    }
}
