package dev.pgbroadcaster.sample;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sample's live page in a real headless Chromium: a row inserted with SQL appears, the page's button ships it,
 * and when the listener's backend is terminated the page goes "reconnecting", then shows what changed meanwhile.
 * Chromium and ChromeDriver come from the machine's packages (nothing is downloaded); without them the test is
 * skipped.
 */
class LivePageBrowserTests {

    private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));

    private static final Path CHROMEDRIVER = Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @Test
    void thePageShowsEachChangeAndWhatChangedWhileTheListenerWasAway(@TempDir Path profile) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "No Chromium at " + CHROMIUM
                + " or no ChromeDriver at " + CHROMEDRIVER + ": install them with 'apt-get install chromium chromium-driver' "
                + "to run the live page's browser test");
        String applicationName = "live-page-" + UUID.randomUUID().toString().substring(0, 8);
        String[] args = Stream.concat(Stream.of(TestDatabase.get().datasourceProperties()).map((property) -> "--" + property),
                Stream.of("--server.port=0", "--sample.writer.interval=1h",
                        "--pg.broadcaster.application-name=" + applicationName,
                        // Long enough for the changes below to be made while nobody listens.
                        "--pg.broadcaster.reconnect.initial-delay=3s", "--pg.broadcaster.reconnect.jitter=0"))
            .toArray(String[]::new);
        try (ConfigurableApplicationContext context = SampleApplication.application().run(args)) {
            String page = "http://localhost:" + context.getEnvironment().getProperty("local.server.port") + "/";
            WebDriver browser = browser(profile);
            try {
                WebDriverWait wait = new WebDriverWait(browser, DEADLINE);
                browser.get(page);
                wait.until(ExpectedConditions.textToBe(By.id("state"), "live"));

                long inserted = insert("inserted with SQL");
                wait.until(ExpectedConditions.presenceOfElementLocated(row(inserted)));
                assertThat(browser.findElement(row(inserted)).getText()).contains("inserted with SQL");

                browser.findElement(By.id("ship-" + inserted)).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(cell(inserted, 4), "yes"));

                // Terminated, the listener is away for the reconnect delay: these two changes notify nobody.
                assertThat(terminate(applicationName)).isPositive();
                wait.until(ExpectedConditions.textToBe(By.id("state"), "reconnecting"));
                execute("DELETE FROM orders WHERE id = ?", inserted);
                long meanwhile = insert("inserted meanwhile");

                wait.until(ExpectedConditions.textToBe(By.id("state"), "resynced"));
                wait.until(ExpectedConditions.presenceOfElementLocated(row(meanwhile)));
                // Faded out, then gone from the page.
                wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("tr[data-id='" + inserted + "']"), 0));
                assertThat(browser.findElement(By.id("log")).getText()).contains("connection: reconnecting")
                    .contains("connection: resynced");
                screenshot(browser);
            }
            finally {
                browser.quit();
            }
        }
    }

    // The flags this machine's Chromium needs headless: without the networking ones it tries to reach Google's
    // services at every start, and the closed network refuses each attempt.
    private static WebDriver browser(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=900,700");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogOutput(new java.io.ByteArrayOutputStream())
            .build();
        return new ChromeDriver(service, options);
    }

    private static By row(long id) {
        return By.cssSelector("tr[data-id='" + id + "']:not(.gone)");
    }

    private static By cell(long id, int column) {
        return By.cssSelector("tr[data-id='" + id + "'] td:nth-child(" + column + ")");
    }

    private static void screenshot(WebDriver browser) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "live-page.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Connection connect() throws SQLException {
        TestDatabase database = TestDatabase.get();
        return DriverManager.getConnection(database.jdbcUrl(), database.username(), database.password());
    }

    private static long insert(String item) throws SQLException {
        try (Connection connection = connect();
                PreparedStatement statement = connection
                    .prepareStatement("INSERT INTO orders (item, quantity) VALUES (?, 1) RETURNING id")) {
            statement.setString(1, item);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
    }

    private static void execute(String sql, long id) throws SQLException {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, id);
            statement.executeUpdate();
        }
    }

    private static int terminate(String applicationName) throws SQLException {
        try (Connection connection = connect();
                PreparedStatement statement = connection.prepareStatement("SELECT count(pg_terminate_backend(pid)) "
                        + "FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, applicationName);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

}
