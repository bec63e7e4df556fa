namespace CnnGen.Runtime;

/// <summary>
/// A module whose parameters never train (Ultralytics' DFL: its convolution's weight is arange(16), a parameter only so
/// that checkpoints and the parameter count hold): <c>Freezing.Freeze</c> and <c>Unfreeze</c> leave them fixed.
/// </summary>
public interface IFixedParameters
{
}
