package io.streamrag.query.generate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Endpoint specs: fields, and no credentials in a baseUrl (specs are job arguments the dashboard shows). */
class EndpointSpecTest {

    @Test
    void parsesPositionalAndNamedFieldsAndAQueryThatCarriesNoKey() {
        EndpointSpec e = EndpointSpec.parse("granite=watsonx,https://us-south.ml.cloud.ibm.com?project_id=p1,ibm/granite,4,2,30000,WX_KEY,rps=5");
        assertThat(e.name).isEqualTo("granite");
        assertThat(e.baseUrl).isEqualTo("https://us-south.ml.cloud.ibm.com?project_id=p1");
        assertThat(e.apiKeyEnv).isEqualTo("WX_KEY");
        assertThat(e.rps).isEqualTo(5.0);
    }

    @Test
    void aBaseUrlWithCredentialsIsRefusedWithoutRepeatingThem() {
        for (String spec : new String[] {
                "a=openai,https://user:s3cr3t-value@llm.example/v1,m",
                "a=openai,https://s3cr3t-value@llm.example/v1,m,4",
                "a=openai,https://llm.example/v1?api_key=s3cr3t-value,m",
                "a=ollama,http://127.0.0.1:11434/?x=1&token=s3cr3t-value,m",
                "a=openai,https://llm.example/v1?Key=s3cr3t-value,m,not-a-number",
                "a=openai,https://user:ab/s3cr3t-value@llm.example/v1,m"}) { // a password with '/': URI finds no user info
            assertThatThrownBy(() -> EndpointSpec.parse(spec)).as(spec)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("may not carry credentials")
                    .hasMessageNotContaining("s3cr3t-value");
        }
        // A path segment that starts with '@' is not user info.
        assertThat(EndpointSpec.parse("a=openai,https://llm.example/v1/@models,m").baseUrl).isEqualTo("https://llm.example/v1/@models");
    }
}
