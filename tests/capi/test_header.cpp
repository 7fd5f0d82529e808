// layerkit.h must compile as C++ too (-Wall -Wextra -pedantic -Werror).
#include <layerkit/layerkit.h>

#include <type_traits>

static_assert(std::is_standard_layout_v<lk_layer_info>, "public structs are plain C structs");
static_assert(LK_OK == 0 && LK_ENOMEM == -17, "status values are stable");

int main() {
  lk_image_info info;
  lk_image_info_init(&info);
  return info.size == sizeof info ? 0 : 1;
}
