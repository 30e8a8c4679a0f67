package io.streamrag.query.vote;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;

import java.io.IOException;
import java.time.Duration;

/**
 * The "already answered" (or "already asked") mark of the current question, as keyed state with a TTL
 * ({@code query.dedup.ttl}, default 7 days): it is part of every checkpoint and savepoint and expires by wall-clock
 * time, so it holds across any stop shorter than the TTL. Marks written by earlier versions (a {@code Long} "until" kept
 * alive by a timer) still count where there were such marks.
 */
public final class AnsweredIds {

    private final ValueState<Boolean> answered;
    private final ValueState<Long> legacyUntil;

    /** Marks under {@code name}, and those of earlier releases under {@code legacyName} (null: there are none). */
    public AnsweredIds(RuntimeContext ctx, String name, String legacyName, Duration ttl) {
        ValueStateDescriptor<Boolean> d = new ValueStateDescriptor<>(name, Boolean.class);
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupFullSnapshot()
                .build());
        answered = ctx.getState(d);
        legacyUntil = legacyName == null ? null : ctx.getState(new ValueStateDescriptor<>(legacyName, Long.class));
    }

    public boolean contains() throws IOException {
        if (answered.value() != null) {
            return true;
        }
        Long until = legacyUntil == null ? null : legacyUntil.value();
        if (until != null) {
            legacyUntil.clear();
            if (until > System.currentTimeMillis()) { // still within the TTL it was written with
                answered.update(true);
                return true;
            }
        }
        return false;
    }

    /**
     * At one of the timers earlier releases set at a legacy mark's expiry (they are restored with the state): the mark
     * is dropped, so legacy marks do not stay in state for good (nothing else reads a key that is never asked again).
     */
    public void expireLegacy(long timestamp) throws IOException {
        Long until = legacyUntil == null ? null : legacyUntil.value();
        if (until != null && until <= timestamp) {
            legacyUntil.clear();
        }
    }

    public void add() throws IOException {
        answered.update(true);
    }

    /**
     * True the first time the current question comes within the TTL, which marks it; after that false, counted on
     * {@code repeats}. The TTL counts from that first time: a repeat does not write, so it does not extend it.
     */
    public boolean first(Counter repeats) throws IOException {
        if (contains()) {
            repeats.inc();
            return false;
        }
        add();
        return true;
    }
}
