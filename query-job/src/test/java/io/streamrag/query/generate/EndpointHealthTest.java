package io.streamrag.query.generate;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link EndpointHealth}'s rate limit and its breaker's wait. */
class EndpointHealthTest {

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 1, 5, 7.5, 15, 40, 100, 333})
    void theRateLimitIsTheEndpointsRps(double rps) {
        RateLimiterConfig c = EndpointHealth.rateLimit(rps);
        double perSecond = c.getLimitForPeriod() * 1e9 / c.getLimitRefreshPeriod().toNanos();
        assertThat(perSecond).isCloseTo(rps, within(rps * 1e-6));
        assertThat(c.getLimitForPeriod()).isBetween(1, Math.max(1, (int) (rps / 10))); // bursts of a tenth at most
    }

    @Test
    void anOpenBreakerHalfOpensOnceItsWaitIsOverWithoutAThreadOfItsOwn() throws Exception {
        HealthSettings settings = HealthSettings.from(new Configuration().set(QueryOptions.BREAKER_OPEN_DURATION, Duration.ofMillis(200)));
        try (EndpointHealth h = new EndpointHealth(EndpointSpec.parse("e=openai,http://127.0.0.1:1/v1,extractive"), settings)) {
            h.breaker.transitionToOpenState();
            assertThat(h.open()).isTrue();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (h.open() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(h.breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            // resilience4j's automatic transition runs on a static thread that is never stopped and kept each
            // resubmitted job's classes loaded; the breaker must not start it.
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .noneMatch(name -> name.contains("CircuitBreakerAutoTransition"));
        }
    }

    private static EndpointHealth health(Duration openFor) {
        HealthSettings settings = HealthSettings.from(new Configuration().set(QueryOptions.BREAKER_OPEN_DURATION, openFor));
        return new EndpointHealth(EndpointSpec.parse("e=openai,http://127.0.0.1:1/v1,extractive"), settings);
    }

    /**
     * Calls {@code seen} with what {@link EndpointHealth#open()} says at each transition to OPEN, between resilience4j's
     * state change and its listeners (the general consumers run first): what any other thread (routing, a launch, the
     * breakerState gauge) can see in that window.
     */
    private static List<String> openInTheWindow(EndpointHealth h) {
        List<String> seen = new ArrayList<>();
        h.breaker.getEventPublisher().onEvent(e -> {
            if (e instanceof CircuitBreakerOnStateTransitionEvent t
                    && t.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                seen.add("open()=" + h.open() + " " + h.breaker.getState());
            }
        });
        return seen;
    }

    /**
     * An OPEN breaker seen before its transition is published is not half-opened at once: its wait was timed from no
     * stamp (0), so probes went straight to the endpoint just judged broken and the 30 s wait was skipped.
     */
    @Test
    void aBreakerSeenOpenBeforeItsTransitionIsPublishedWaitsItsFullDuration() {
        try (EndpointHealth h = health(Duration.ofSeconds(30))) {
            List<String> seen = openInTheWindow(h);
            h.breaker.transitionToOpenState();
            assertThat(seen).containsExactly("open()=true OPEN");
            assertThat(h.open()).isTrue();
            assertThat(h.breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        }
    }

    /** Likewise when it opens again after a half-open: its wait was timed from the first opening, long over. */
    @Test
    void aBreakerThatOpensAgainIsNotTimedFromItsPreviousOpening() throws Exception {
        try (EndpointHealth h = health(Duration.ofMillis(200))) {
            h.breaker.transitionToOpenState();
            Thread.sleep(300);
            assertThat(h.open()).isFalse(); // the wait is over: half-open
            assertThat(h.breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            List<String> seen = openInTheWindow(h);
            h.breaker.transitionToOpenState(); // its probes failed
            assertThat(seen).containsExactly("open()=true OPEN");
            assertThat(h.open()).isTrue();
        }
    }

    /**
     * The stamp's reset is no trap: when the listener of a half-open runs after the breaker has opened again (and been
     * stamped), the unstamped OPEN breaker still half-opens once a full wait has passed.
     */
    @Test
    void anOpenBreakerUnstampedByALateListenerStillHalfOpens() throws Exception {
        try (EndpointHealth h = health(Duration.ofMillis(200))) {
            AtomicBoolean reopen = new AtomicBoolean(true);
            AtomicInteger halfOpened = new AtomicInteger();
            h.breaker.getEventPublisher().onEvent(e -> {
                if (e instanceof CircuitBreakerOnStateTransitionEvent t
                        && t.getStateTransition().getToState() == CircuitBreaker.State.HALF_OPEN) {
                    halfOpened.incrementAndGet();
                    if (reopen.getAndSet(false)) {
                        h.breaker.transitionToOpenState(); // opened again, and stamped, before this one's listener ran
                    }
                }
            });
            h.breaker.transitionToOpenState();
            Thread.sleep(300);
            long reopenedAt = System.nanoTime();
            assertThat(h.open()).as("half-opened, and at once opened again").isTrue();
            assertThat(halfOpened).hasValue(1);
            long until = reopenedAt + TimeUnit.SECONDS.toNanos(10);
            while (h.open() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(h.breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            assertThat(System.nanoTime() - reopenedAt).as("after a full wait").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }
}
