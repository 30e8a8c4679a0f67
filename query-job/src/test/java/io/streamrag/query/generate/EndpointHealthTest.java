package io.streamrag.query.generate;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Tests of {@link EndpointHealth}'s own settings. */
class EndpointHealthTest {

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 1, 5, 7.5, 15, 40, 100, 333})
    void theRateLimitIsTheEndpointsRps(double rps) {
        RateLimiterConfig c = EndpointHealth.rateLimit(rps);
        double perSecond = c.getLimitForPeriod() * 1e9 / c.getLimitRefreshPeriod().toNanos();
        assertThat(perSecond).isCloseTo(rps, within(rps * 1e-6));
        assertThat(c.getLimitForPeriod()).isBetween(1, Math.max(1, (int) (rps / 10))); // bursts of a tenth at most
    }
}
