package io.streamrag.query.generate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Endpoint specs: fields, numbers checked with the endpoint and field they belong to, names unique, and no credentials in
 * a baseUrl (specs are job arguments the dashboard shows).
 */
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

    /**
     * A second endpoint of the same name replaced the first in the generator, whose TaskManager-wide pool was never given
     * back: one more leaked at every restart.
     */
    @Test
    void aNameUsedTwiceIsRefused() {
        assertThatThrownBy(() -> EndpointSpec.parseAll("a=openai,http://127.0.0.1:1/v1,m;b=openai,http://127.0.0.1:2/v1,m;"
                + " a =ollama,http://127.0.0.1:3,m2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("query.endpoints names endpoint 'a' twice; each endpoint needs a name of its own");
        assertThat(EndpointSpec.parseAll("a=openai,http://127.0.0.1:1/v1,m;A=openai,http://127.0.0.1:2/v1,m")).hasSize(2);
    }

    /** NaN passed the old "x <= 0" checks, and an infinite weight made every vote weight NaN. */
    @Test
    void aWeightOrRateThatIsNoFiniteNumberIsRefused() {
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,4,NaN"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Endpoint 'a': weight must be a positive number, was NaN");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,4,Infinity"))
                .hasMessage("Endpoint 'a': weight must be a positive number, was Infinity");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,4,0"))
                .hasMessage("Endpoint 'a': weight must be a positive number, was 0.0");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,rps=NaN"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Endpoint 'a': rps must be 0 (no limit) or a positive number, was NaN");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,rps=-1"))
                .hasMessage("Endpoint 'a': rps must be 0 (no limit) or a positive number, was -1.0");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,0"))
                .hasMessage("Endpoint 'a': maxConcurrency must be at least 1, was 0");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,4,1,0"))
                .hasMessage("Endpoint 'a': timeoutMs must be at least 1, was 0");
        assertThatThrownBy(() -> EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,maxChoices=0"))
                .hasMessage("Endpoint 'a': maxChoices must be at least 1, was 0");
        assertThat(EndpointSpec.parse("a=openai,http://127.0.0.1:1/v1,m,4,0.5,1000,,rps=0").rps).isZero();
    }

    /** A bare NumberFormatException ('For input string: "4x"') named neither the endpoint nor the field. */
    @Test
    void aMalformedNumberNamesItsEndpointAndField() {
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,4x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Endpoint 'big': maxConcurrency must be a whole number, was '4x'");
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,4,heavy"))
                .hasMessage("Endpoint 'big': weight must be a number, was 'heavy'");
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,4,1,30s"))
                .hasMessage("Endpoint 'big': timeoutMs must be a whole number, was '30s'");
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,rps=five"))
                .hasMessage("Endpoint 'big': rps must be a number, was 'five'");
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,maxChoices=8.5"))
                .hasMessage("Endpoint 'big': maxChoices must be a whole number, was '8.5'");
        assertThatThrownBy(() -> EndpointSpec.parse("big=openai,http://127.0.0.1:1/v1,m,3000000000"))
                .hasMessage("Endpoint 'big': maxConcurrency must be at most 2147483647, was 3000000000");
    }
}
