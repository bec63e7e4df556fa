using Microsoft.Playwright;

namespace CnnGen.Generator.Tests;

/// <summary>
/// One headless Chromium for the rendered-diagram tests, driven by Playwright: Debian's chromium package
/// (which .ci/run installs) through <c>ExecutablePath</c>, so nothing is downloaded. Every wait on the browser
/// is bounded by <see cref="Limit"/>, so a hung browser fails the test instead of hanging the run, and
/// disposing ends the driver, which ends the browser.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)");
        _playwright = await Playwright.CreateAsync().WaitAsync(Limit);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Timeout = (float)Limit.TotalMilliseconds,
        }).WaitAsync(Limit);
    }

    /// <summary>The task's result, or a failed test when the browser takes longer than <see cref="Limit"/>.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"Chromium did not finish {what} in {Limit.TotalSeconds:0} s");
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Browser is not null) await Browser.CloseAsync().WaitAsync(Limit);
        }
        finally
        {
            // Ends the driver whether or not the browser closed; the driver takes its browser with it.
            _playwright?.Dispose();
        }
    }
}
