# Compiler settings shared by every target: C11, strict warnings, hidden symbols.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

# Nothing is exported unless marked SDVM_EXPORT (libsdvm's ABI only).
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# _GNU_SOURCE for explicit_bzero, F_OFD_GETLK, FICLONE, pipe2 and friends.
add_compile_definitions(_GNU_SOURCE)

set(SDVM_C_WARNINGS
    -Wall -Wextra -Wshadow -Wformat=2 -Wformat-security -Wmissing-prototypes
    -Wstrict-prototypes -Wold-style-definition -Wswitch-enum -Wpointer-arith
    -Wundef -Wvla -Werror=implicit-function-declaration -Werror=return-type
    -Wno-unused-parameter)
set(SDVM_CXX_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(SDVM_WERROR)
  list(APPEND SDVM_C_WARNINGS -Werror)
  list(APPEND SDVM_CXX_WARNINGS -Werror)
endif()
add_compile_options("$<$<COMPILE_LANGUAGE:C>:${SDVM_C_WARNINGS}>"
                    "$<$<COMPILE_LANGUAGE:CXX>:${SDVM_CXX_WARNINGS}>")

if(SDVM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
