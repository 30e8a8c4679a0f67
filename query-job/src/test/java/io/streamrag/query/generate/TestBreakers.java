package io.streamrag.query.generate;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Breaker states the generation tests stage. */
final class TestBreakers {
    private TestBreakers() {}

    /**
     * Half-opens {@code breaker} and takes every probe it allows (other calls' probes, still out), so it turns every
     * further call away; the latch counts down at the first call turned away.
     */
    static CountDownLatch takeEveryProbe(CircuitBreaker breaker) {
        breaker.transitionToOpenState();
        breaker.transitionToHalfOpenState();
        int probes = breaker.getCircuitBreakerConfig().getPermittedNumberOfCallsInHalfOpenState();
        for (int i = 0; i < probes; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
        }
        CountDownLatch turnedAway = new CountDownLatch(1);
        breaker.getEventPublisher().onCallNotPermitted(e -> turnedAway.countDown());
        return turnedAway;
    }

    /** The probes {@link #takeEveryProbe} took answer: the breaker closes. */
    static void answerEveryProbe(CircuitBreaker breaker) {
        int probes = breaker.getCircuitBreakerConfig().getPermittedNumberOfCallsInHalfOpenState();
        for (int i = 0; i < probes; i++) {
            breaker.onSuccess(1, TimeUnit.MILLISECONDS);
        }
    }
}
