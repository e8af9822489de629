# Sourced by the Tools scripts: installs the Debian packages the build needs when missing,
# and makes the Python environment of the interoperability checks.
ensure_system_packages() {
    # libopenmpi-dev builds the Distributed module; openmpi-bin's mpirun runs the
    # data-parallel tests (gqn-train fit under mpirun -np 2); libturbojpeg0-dev is JPEG;
    # libdeflate-dev and libisal-dev the PNG encoder's deflate.
    local needed=(pkg-config libpng-dev libturbojpeg0-dev libdeflate-dev libisal-dev libopenblas-dev libdnnl-dev libopenmpi-dev openmpi-bin)
    local missing=()
    local package
    for package in "${needed[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "Installing system packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
}

# Installs numpy, safetensors, Pillow, pytest, crc32c, protobuf, tensorboard and torch (CPU
# build) into the virtual environment whose interpreter is $1 (the reference checks need
# numpy, safetensors and torch; the Python package in python/ needs numpy and Pillow, its
# tests pytest, and crc32c is the package's fast CRC-32C path; the TFRecord check needs
# protobuf, the event-file check tensorboard). Torch comes from PyTorch's CPU-only index when it can be reached;
# else from a CPU wheel that this machine ships in pip's find-links directory, with its
# dependencies from PyPI; else from PyPI, whose Linux x86-64 torch brings CUDA libraries
# (several GB).
make_python_environment() {
    local python="$1"
    local started=$SECONDS
    echo "Making the Python test environment: numpy, safetensors, Pillow, pytest, crc32c, protobuf, tensorboard, torch (CPU)" >&2
    "$python" -m pip install --quiet numpy safetensors pillow pytest crc32c protobuf tensorboard
    if "$python" -m pip install --quiet --retries 0 --timeout 30 \
        --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null; then
        echo "Python test environment ready (torch from the CPU index) in $((SECONDS - started)) s" >&2
        return
    fi
    local links directory wheel
    links="${PIP_FIND_LINKS:-} $("$python" -m pip config get global.find-links 2>/dev/null || true)"
    for directory in $links; do
        for wheel in "$directory"/torch-*+cpu-*.whl; do
            if [ -f "$wheel" ] && "$python" -m pip install --quiet "$wheel"; then
                echo "Python test environment ready (torch from $wheel) in $((SECONDS - started)) s" >&2
                return
            fi
        done
    done
    "$python" -m pip install --quiet torch
    echo "Python test environment ready (torch from PyPI) in $((SECONDS - started)) s" >&2
}
