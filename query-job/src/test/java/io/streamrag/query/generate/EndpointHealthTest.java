package io.streamrag.query.generate;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

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
}
