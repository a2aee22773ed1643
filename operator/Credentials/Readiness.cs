namespace Sigil.Credentials;

/// <summary>
/// The Ready condition a pass concluded with. Each credential kind reports one when it cannot proceed (its
/// NotReady); the identity reconciler shows the first of them, or Ready=True when there is none.
/// </summary>
internal sealed record Readiness(bool Ready, string Reason, string Message);
