package io.streamrag.query.generate;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A generator that cannot be built gives back what it had taken. */
class CandidateGeneratorTest {

    @Test
    void anEndpointThatCannotBeBuiltReleasesTheOnesBuiltBeforeIt() {
        List<EndpointSpec> specs = EndpointSpec.parseAll("built-first=openai,http://127.0.0.1:1/v1,extractive;"
                + "no-project=watsonx,http://127.0.0.1:1,ibm/granite"); // watsonx needs ?project_id= or ?space_id=
        assertThatThrownBy(() -> new CandidateGenerator(specs, new RetryPolicy(0, 50, 100), 256, CallListener.NONE,
                Demonstrations.load(null), 2, 2, (t, q, k) -> List.of(), HealthSettings.from(new Configuration()),
                HedgeSettings.off()))
                .hasMessageContaining("project_id");
        // Its TaskManager-wide pool was given back: a failing job restarting here would otherwise add a user each time.
        assertThat(EndpointHealth.lookup("built-first")).isNull();
    }
}
