# An OpenEvolve task (docs/openevolve.md): crucible runs it as it is.
# Only the code between the EVOLVE-BLOCK markers changes.
import math


# EVOLVE-BLOCK-START
def approx_sin(x):
    """Approximates sin(x) for x in [-pi, pi] without calling math.sin."""
    return 0.8 * x - 0.1 * x * x * x
# EVOLVE-BLOCK-END


if __name__ == "__main__":
    for x in (-3.0, -1.0, 0.0, 1.0, 3.0):
        print(f"{x:5.1f} {approx_sin(x):9.5f} {math.sin(x):9.5f}")
