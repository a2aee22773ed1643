namespace Sigil.Client;

/// <summary>
/// A mounted credential is missing or unusable. The message names the file and what was expected; it never holds
/// key material.
/// </summary>
public sealed class SigilCredentialException : Exception
{
    /// <summary>Creates the exception with a message that names the file and the problem.</summary>
    public SigilCredentialException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error underneath (which must hold no key material).</summary>
    public SigilCredentialException(string message, Exception inner) : base(message, inner) { }
}
